"""`acme-superset`: bootstrap, serve and provision Superset, run inside superset/.venv.

acme-superset bootstrap            migrate the metadata DB, sync built-in roles, create the admin
acme-superset serve --port 8088    gunicorn on 127.0.0.1
acme-superset up --port 8088       bootstrap, serve, provision, plus the reports' Celery worker and
                                   beat and their Redis (what `make superset-up` runs)
acme-superset provision --url URL  apply superset/bundles/*.yaml through the REST API
acme-superset report ...           render and e-mail a dashboard report (docs/decisions/superset-reports.md)
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import click
import requests

from acme_superset.bundles import BundleError, load_bundles
from acme_superset.client import SupersetAPIError, SupersetClient
from acme_superset.context import REPO_ROOT, Placeholders
from acme_superset.logs import json_handler
from acme_superset.provision import Provisioner, ProvisionError
from acme_superset.reports import ReportError, SmtpSettings, deliver_report

BUNDLES = REPO_ROOT / "superset" / "bundles"
ADMIN_USERNAME = "admin"
# The service account of programmatic clients and reports (bundles: 90_security.yaml).
SERVICE_ACCOUNT = "svc_api"


def _superset_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("SUPERSET_CONFIG_PATH", str(REPO_ROOT / "superset_config.py"))
    env.setdefault("FLASK_APP", "superset.app:create_app()")
    return env


def _metrics_dir() -> Path:
    """An empty folder where gunicorn's workers keep their Prometheus samples, so `/metrics`
    sums them all (prometheus-client's multiprocess mode); emptied at each start."""
    home = Path(os.environ.get("SUPERSET_HOME") or REPO_ROOT / ".local" / "superset")
    folder = home / "prometheus"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _admin_password() -> str:
    return Placeholders()["SUPERSET_ADMIN_PASSWORD"]


def _superset(*args: str) -> None:
    binary = Path(sys.executable).with_name("superset")
    subprocess.run([str(binary), *args], check=True, env=_superset_env())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """ACME's Superset: dashboards, roles and reports as code."""
    logging.basicConfig(level=logging.INFO, handlers=[json_handler()])


@main.command()
def bootstrap() -> None:
    """Migrate the metadata database, sync Superset's roles and create the admin (idempotent)."""
    run_bootstrap()


def run_bootstrap() -> None:
    """`superset db upgrade`, `superset init` and the admin user, with progress on stderr."""
    click.echo("Migrating the Superset metadata database...", err=True)
    _superset("db", "upgrade")
    click.echo("Syncing Superset's built-in roles and permissions...", err=True)
    _superset("init")
    # `fab create-admin` leaves an existing admin as it is, so bootstrap can run on every start.
    _superset(
        "fab",
        "create-admin",
        "--username",
        ADMIN_USERNAME,
        "--firstname",
        "ACME",
        "--lastname",
        "Admin",
        "--email",
        "admin@acme.example",
        "--password",
        _admin_password(),
    )


@main.command()
@click.option("--port", default=8088, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve(port: int, workers: int) -> None:
    """Serve Superset with gunicorn on 127.0.0.1 until stopped."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    os.execve(  # gunicorn replaces this process, so signals reach it directly
        str(gunicorn),
        [
            str(gunicorn),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--timeout",
            "120",
            # Stopping must not wait for idle browser keep-alive connections.
            "--graceful-timeout",
            "5",
            # gunicorn 27 opens a control socket in $HOME by default, shared by every instance.
            "--no-control-socket",
            "--limit-request-line",
            "0",
            "--limit-request-field_size",
            "0",
            "superset.app:create_app()",
        ],
        {**_superset_env(), "PROMETHEUS_MULTIPROC_DIR": str(_metrics_dir())},
    )


@main.command()
@click.option("--port", default=8088, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option(
    "--report-workers",
    default=2,
    show_default=True,
    type=int,
    help="reports the Celery worker renders at the same time",
)
@click.option(
    "--broker-port",
    default=6379,
    show_default=True,
    type=int,
    help="port of the private Redis started when SUPERSET_CELERY_BROKER_URL is unset",
)
def up(port: int, workers: int, report_workers: int, broker_port: int) -> None:
    """Bootstrap, serve and provision, with the reports' worker and beat; print `ready <url>`
    once usable; stop everything when the server stops.

    One command for `make superset-up`, the test fixture and the benchmark, so all three start
    Superset the same way. SIGTERM or Ctrl-C stops gunicorn, Celery and Redis too.
    """
    run_bootstrap()
    url = f"http://127.0.0.1:{port}"
    env = _superset_env()
    # The worker's browser opens the dashboards on this server to screenshot them for reports.
    env.setdefault("SUPERSET_WEBDRIVER_BASEURL", f"{url}/")
    services = Services()
    signal.signal(signal.SIGTERM, services.stop)
    signal.signal(signal.SIGINT, services.stop)
    try:
        if not env.get("SUPERSET_CELERY_BROKER_URL"):
            env["SUPERSET_CELERY_BROKER_URL"] = services.start_redis(broker_port)
        server = services.start(
            "server",
            [sys.executable, "-m", "acme_superset.cli", "serve", "--port", str(port),
             "--workers", str(workers)],
            env,
        )  # fmt: skip
        celery = [str(Path(sys.executable).with_name("celery")), f"--app={CELERY_APP}"]
        services.start(
            "worker",
            [*celery, "worker", "--pool=prefork", f"--concurrency={report_workers}", "-O",
             "fair", "--without-mingle", "--without-gossip", f"--hostname=reports-{port}@%h",
             "--loglevel=INFO"],
            env,
        )  # fmt: skip
        services.start(
            "beat",
            [*celery, "beat", "--loglevel=INFO", f"--schedule={_home() / 'celerybeat-schedule'}"],
            env,
        )
        deadline = time.monotonic() + 300
        while not _healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                raise click.ClickException(f"Superset did not come up on {url}; see the log above")
            time.sleep(0.5)
        click.echo(json.dumps(run_provision(url, BUNDLES), sort_keys=True))
    except BaseException:
        services.kill()  # never leave a half-provisioned server behind
        raise
    click.echo(f"ready {url}", nl=True)
    sys.stdout.flush()
    failed = services.wait()
    if failed is not None:
        raise click.ClickException(f"Superset's {failed} exited; stopped the rest")


CELERY_APP = "superset.tasks.celery_app:app"


def _home() -> Path:
    """SUPERSET_HOME as superset_config.py reads it."""
    home = Path(os.environ.get("SUPERSET_HOME") or REPO_ROOT / ".local" / "superset")
    home.mkdir(parents=True, exist_ok=True)
    return home


class Services:
    """The processes `up` runs (gunicorn, Celery worker and beat, Redis), stopped together."""

    def __init__(self) -> None:
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        self.running[name] = subprocess.Popen(command, env=env)
        return self.running[name]

    def start_redis(self, port: int) -> str:
        """A private Redis on 127.0.0.1:`port` for Celery, kept under SUPERSET_HOME/redis."""
        folder = _home() / "redis"
        folder.mkdir(exist_ok=True)
        redis = self.start(
            "redis",
            ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--protected-mode",
             "yes", "--dir", str(folder), "--appendonly", "yes", "--save", ""],
            dict(os.environ),
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not _redis_answers(port):
            if redis.poll() is not None or time.monotonic() > deadline:
                raise click.ClickException(
                    f"Redis did not start on 127.0.0.1:{port} (see the log above; a port in use "
                    "is the usual cause): pass --broker-port or set SUPERSET_CELERY_BROKER_URL"
                )
            time.sleep(0.2)
        return f"redis://127.0.0.1:{port}/0"

    def stop(self, *_: object) -> None:
        """Ask every process to stop; gunicorn's SIGINT is its quick shutdown."""
        self.stopping = True
        for name, process in self.running.items():
            if process.poll() is None:
                process.send_signal(signal.SIGINT if name == "server" else signal.SIGTERM)

    def kill(self) -> None:
        for process in self.running.values():
            process.kill()
            process.wait()

    def wait(self) -> str | None:
        """Block until all have stopped; the first that exited unasked, if any."""
        failed = None
        while any(process.poll() is None for process in self.running.values()):
            if failed is None and not self.stopping:
                failed = next(
                    (name for name, p in self.running.items() if p.poll() is not None), None
                )
                if failed is not None:
                    self.stop()
            time.sleep(0.5)
        return failed


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=2).text == "OK"
    except requests.RequestException:  # not listening yet, or the worker still booting
        return False


@main.command()
@click.option("--url", default="http://127.0.0.1:8088", show_default=True)
@click.option(
    "--bundles", "folder", default=BUNDLES, type=click.Path(path_type=Path), show_default=True
)
def provision(url: str, folder: Path) -> None:
    """Apply the YAML bundles; print what was created, updated or left unchanged (JSON)."""
    click.echo(json.dumps(run_provision(url, folder), sort_keys=True))


def run_provision(url: str, folder: Path) -> dict[str, int]:
    """Apply the bundles in `folder` to the server at `url` as the admin; the change counts."""
    try:
        state = load_bundles(folder, Placeholders())
        client = SupersetClient(url, ADMIN_USERNAME, _admin_password())
        return {"created": 0, "updated": 0, "unchanged": 0, **Provisioner(client, state).apply()}
    except (BundleError, ProvisionError) as error:
        raise click.ClickException(str(error)) from None


@main.command()
@click.option("--url", default="http://127.0.0.1:8088", show_default=True)
@click.option("--dashboard", "slug", required=True, help="dashboard slug, e.g. executive-live")
@click.option("--to", "recipients", required=True, help="comma-separated e-mail addresses")
@click.option("--username", default=SERVICE_ACCOUNT, show_default=True)
@click.option(
    "--reports-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="where reports and history.jsonl are kept [default: <lake root>/reports]",
)
@click.option(
    "--delivery-key",
    default=None,
    help="the caller's id for this delivery (e.g. its Dagster run): if the history holds this "
    "dashboard sent under it, it is not sent again",
)
def report(
    url: str,
    slug: str,
    recipients: str,
    username: str,
    reports_dir: Path | None,
    delivery_key: str | None,
) -> None:
    """E-mail a dashboard as PDF plus its charts as CSV and Excel; keep it in the history."""
    placeholders = Placeholders()
    password = placeholders[f"SUPERSET_{username.upper()}_PASSWORD"]
    folder = reports_dir or Path(placeholders["REPORTS_PATH"])
    try:
        delivery = deliver_report(
            url,
            username,
            password,
            slug,
            [address.strip() for address in recipients.split(",") if address.strip()],
            folder,
            SmtpSettings.from_environment(),
            delivery_key,
        )
    except (ReportError, SupersetAPIError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(asdict(delivery)))


if __name__ == "__main__":
    main()
