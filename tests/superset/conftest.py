"""A real Superset server for the whole session, and a real headless Chromium to look at it.

The server runs from Superset's own environment (superset/.venv, `make superset-env`), with a
temporary SQLite metadata database, a sample serving DuckDB file and sample live Delta tables,
provisioned from the committed bundles exactly as `make superset-up` does.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from playwright.sync_api import Browser, Page, sync_playwright

from acme.settings import REPO_ROOT
from tests.conftest import free_port
from tests.superset.superset_sample_lake import build_live_tables, build_serving_db

SUPERSET_BIN = REPO_ROOT / "superset" / ".venv" / "bin"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "superset"
USERS = ("admin", "analyst", "viewer", "manager_ca", "svc_api")


class Inbox:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


@contextmanager
def smtp_receiver() -> Iterator[tuple[Inbox, int]]:
    """An `Inbox` listening on a free port, and that port; stopped on leaving."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def report_inbox() -> Iterator[tuple[Inbox, int]]:
    """The SMTP receiver the session's Superset sends its scheduled reports to."""
    with smtp_receiver() as receiver:
        yield receiver


@dataclass
class SupersetServer:
    """A running Superset: its URL, the passwords of the provisioned users, its data paths."""

    url: str
    env: dict[str, str]
    serving_path: Path
    lake_root: Path
    log_path: Path
    passwords: dict[str, str] = field(default_factory=dict)

    def cli(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `acme-superset ARGS` in Superset's environment against this server."""
        result = subprocess.run(
            [str(SUPERSET_BIN / "acme-superset"), *args],
            env=env or self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"acme-superset {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result


class ApiSession:
    """Superset's REST API as a client sees it: log in for a JWT, then send it with a CSRF token."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.headers["Referer"] = url
        login = self.http.post(
            f"{url}/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": True},
            timeout=30,
        )
        login.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        csrf = self.http.get(f"{url}/api/v1/security/csrf_token/", timeout=30)
        csrf.raise_for_status()
        self.http.headers["X-CSRFToken"] = csrf.json()["result"]

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The raw response (for asserting refusals)."""
        return self.http.request(method, f"{self.url}{path}", timeout=120, **kwargs)

    def get_json(self, path: str) -> Any:
        """GET `path`, which must succeed; its JSON body."""
        response = self.call("GET", path)
        assert response.status_code == 200, (
            f"GET {path}: {response.status_code} {response.text[:500]}"
        )
        return response.json()


def dataset_id(api: ApiSession, name: str) -> int:
    """The id of the dataset called `name`."""
    found = api.get_json(f"/api/v1/dataset/?q=(filters:!((col:table_name,opr:eq,value:'{name}')))")[
        "result"
    ]
    assert len(found) == 1, f"dataset {name}: {len(found)} found"
    return int(found[0]["id"])


def dataset_rows(
    api: ApiSession, dataset: str, metrics: list[str], columns: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """The rows of a chart a user builds on `dataset` (its saved `metrics`, grouped by
    `columns`), through the chart data API as Explore sends it."""
    context = {
        "datasource": {"id": dataset_id(api, dataset), "type": "table"},
        "queries": [
            {"columns": list(columns), "metrics": metrics, "row_limit": 10_000, "orderby": []}
        ],
        "result_format": "json",
        "result_type": "full",
    }
    response = api.call("POST", "/api/v1/chart/data", json=context)
    assert response.status_code == 200, f"{dataset}: {response.status_code} {response.text[:500]}"
    rows: list[dict[str, Any]] = response.json()["result"][0]["data"]
    return rows


def api_session(server: SupersetServer, username: str) -> ApiSession:
    """A REST session logged in as one of the provisioned users."""
    return ApiSession(server.url, username, server.passwords[username])


def start_superset(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """`acme-superset up` (bootstrap, serve, provision; the reports' worker, beat and Redis) in its
    own process group; returns once it printed `ready`, or fails with the end of its log."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(SUPERSET_BIN / "acme-superset"),
                "up",
                "--port",
                str(port),
                "--workers",
                "1",
                "--report-workers",
                "1",
                "--broker-port",
                str(free_port()),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 600
    while b"\nready http" not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_superset(process)
            raise RuntimeError(
                f"Superset did not come up; {log_path}:\n{log_path.read_text()[-3000:]}"
            )
        time.sleep(0.5)
    return process


def stop_superset(process: subprocess.Popen[bytes]) -> None:
    """Stop the server's whole process group (the `up` command, gunicorn, Celery, Redis)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # `up` stops gunicorn, then exits
    try:
        process.wait(timeout=45)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def running_superset(
    home: Path,
    lake_root: Path,
    serving_path: Path,
    smtp_port: int,
    users: tuple[str, ...] = USERS,
) -> Iterator[SupersetServer]:
    """Bootstrap, serve and provision a real Superset on a free 127.0.0.1 port over the serving
    database and lake given, with fresh passwords for `users` and its scheduled reports mailed to
    the SMTP receiver on `smtp_port`; stop it on exit."""
    home.mkdir(parents=True, exist_ok=True)
    passwords = {user: secrets.token_urlsafe(16) for user in users}
    env = {
        **os.environ,
        "ACME_ENVIRONMENT": "ci",
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(48),
        "SUPERSET_HOME": str(home),
        "SUPERSET_CONFIG_PATH": str(REPO_ROOT / "superset_config.py"),
        "ACME_LAKE_ROOT": str(lake_root),
        "ACME_DUCKDB_SERVING_PATH": str(serving_path),
        "ACME_TRACES_PATH": str(home / "spans.jsonl"),
        "ACME_ALERT_SMTP_HOST": "127.0.0.1",
        "ACME_ALERT_SMTP_PORT": str(smtp_port),
        "ACME_ALERT_EMAIL_FROM": "superset-reports@acme.example",
        **{f"SUPERSET_{user.upper()}_PASSWORD": password for user, password in passwords.items()},
    }
    port = free_port()
    server = SupersetServer(
        url=f"http://127.0.0.1:{port}",
        env=env,
        serving_path=serving_path,
        lake_root=lake_root,
        log_path=home / "superset.log",
        passwords=passwords,
    )
    process = start_superset(env, port, server.log_path)
    try:
        yield server
    finally:
        stop_superset(process)


@pytest.fixture(scope="session")
def superset_server(
    tmp_path_factory: pytest.TempPathFactory, report_inbox: tuple[Inbox, int]
) -> Iterator[SupersetServer]:
    """A real Superset over the sample lake (superset_sample_lake.py) for the whole session, its
    scheduled reports mailed to `report_inbox`."""
    if not (SUPERSET_BIN / "acme-superset").exists():
        pytest.fail("Superset's environment is missing: run `make superset-env` (make test does)")
    home = tmp_path_factory.mktemp("superset")
    lake_root = home / "lake"
    serving_path = lake_root / "warehouse" / "serving.duckdb"
    build_serving_db(serving_path)
    build_live_tables(lake_root)
    with running_superset(home, lake_root, serving_path, report_inbox[1]) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run `make superset-env` (apt-installs chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def log_in(page: Page, server: SupersetServer, username: str) -> None:
    """Log in through Superset's login form, as a person would."""
    page.goto(f"{server.url}/login/")
    page.fill("#username", username)
    page.fill("#password", server.passwords[username])
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
