"""`acme-superset`: bootstrap, serve and provision Superset, run inside superset/.venv.

acme-superset bootstrap            migrate the metadata DB, sync built-in roles, create the admin
acme-superset serve --port 8088    gunicorn on 127.0.0.1 (what `make superset-up` runs)
acme-superset provision --url URL  apply superset/bundles/*.yaml through the REST API
acme-superset report ...           render and e-mail a dashboard report (docs/decisions/superset-reports.md)
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import click

from acme_superset.bundles import load_bundles
from acme_superset.client import SupersetAPIError, SupersetClient
from acme_superset.context import REPO_ROOT, Placeholders
from acme_superset.provision import Provisioner
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


def _admin_password() -> str:
    return Placeholders()["SUPERSET_ADMIN_PASSWORD"]


def _superset(*args: str) -> None:
    binary = Path(sys.executable).with_name("superset")
    subprocess.run([str(binary), *args], check=True, env=_superset_env())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """ACME's Superset: dashboards, roles and reports as code."""
    logging.basicConfig(
        level=logging.INFO,
        format='{"level":"%(levelname)s","logger":"%(name)s","msg":"%(message)s"}',
    )


@main.command()
def bootstrap() -> None:
    """Migrate the metadata database, sync Superset's roles and create the admin (idempotent)."""
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
    os.execve(
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
            "--limit-request-line",
            "0",
            "--limit-request-field_size",
            "0",
            "superset.app:create_app()",
        ],
        _superset_env(),
    )


@main.command()
@click.option("--url", default="http://127.0.0.1:8088", show_default=True)
@click.option(
    "--bundles", "folder", default=BUNDLES, type=click.Path(path_type=Path), show_default=True
)
def provision(url: str, folder: Path) -> None:
    """Apply the YAML bundles; print what was created, updated or left unchanged (JSON)."""
    state = load_bundles(folder, Placeholders())
    client = SupersetClient(url, ADMIN_USERNAME, _admin_password())
    changes = Provisioner(client, state).apply()
    click.echo(json.dumps({"created": 0, "updated": 0, "unchanged": 0, **changes}, sort_keys=True))


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
def report(url: str, slug: str, recipients: str, username: str, reports_dir: Path | None) -> None:
    """E-mail a dashboard as PDF plus its charts as CSV and Excel; keep it in the history."""
    placeholders = Placeholders()
    password = placeholders[f"SUPERSET_{username.upper()}_PASSWORD"]
    folder = reports_dir or Path(placeholders["LAKE_ROOT"]) / "reports"
    try:
        delivery = deliver_report(
            url,
            username,
            password,
            slug,
            [address.strip() for address in recipients.split(",") if address.strip()],
            folder,
            SmtpSettings.from_environment(),
        )
    except (ReportError, SupersetAPIError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(asdict(delivery)))
