"""Scheduled dashboard reports: a PDF of the dashboard plus CSV and Excel of its charts, e-mailed,
with every delivery kept (files and a history line) under the reports folder.

Dagster's schedule calls `deliver_report` through `acme-superset report` (a subprocess, since
this code runs in Superset's environment); see docs/decisions/superset-reports.md for why reports
are produced this way rather than by Superset's Alerts & Reports worker.
"""

from __future__ import annotations

import json
import logging
import os
import re
import smtplib
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from acme_superset.client import SupersetClient

logger = logging.getLogger(__name__)
CHROMIUM = "/usr/bin/chromium"
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
# Every chart holder has drawn a chart, an empty state or an error, and none is loading.
CHARTS_SETTLED = """() => {
  const holders = [...document.querySelectorAll('[data-test="dashboard-component-chart-holder"]')];
  return holders.length > 0 && holders.every(h =>
    !h.querySelector('[data-test="loading-indicator"]') &&
    h.querySelector('[role="alert"], .chart-container canvas, .chart-container table,'
                    + ' .chart-container .header-line, .chart-container .ant-empty'));
}"""


class ReportError(RuntimeError):
    """A report could not be produced or sent; the message says which step failed."""


@dataclass
class SmtpSettings:
    """The SMTP relay, read from the same ACME_ALERT_SMTP_* variables as the pipeline's alerts."""

    host: str
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = "acme-lakehouse@localhost"

    @classmethod
    def from_environment(cls) -> SmtpSettings:
        host = os.environ.get("ACME_ALERT_SMTP_HOST")
        if not host:
            raise ReportError("set ACME_ALERT_SMTP_HOST (and ACME_ALERT_SMTP_PORT) to send reports")
        return cls(
            host=host,
            port=int(os.environ.get("ACME_ALERT_SMTP_PORT", "25")),
            starttls=os.environ.get("ACME_ALERT_SMTP_STARTTLS", "false").lower() == "true",
            username=os.environ.get("ACME_ALERT_SMTP_USERNAME") or None,
            password=os.environ.get("ACME_ALERT_SMTP_PASSWORD") or None,
            sender=os.environ.get("ACME_ALERT_EMAIL_FROM", "acme-lakehouse@localhost"),
        )


@dataclass
class Delivery:
    """One delivered report, as kept in the history file."""

    dashboard: str
    recipients: list[str]
    delivered_at: str
    folder: str
    files: list[str] = field(default_factory=list)
    status: str = "sent"
    error: str | None = None
    # The caller's id for this delivery (the Dagster run): a retry under it does not send again.
    delivery_key: str | None = None


def _slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def render_dashboard_pdf(
    base_url: str, username: str, password: str, slug: str, target: Path
) -> None:
    """Log in through the login form, open the dashboard, wait for its charts, print it to PDF."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base_url}/login/")
            page.fill("#username", username)
            page.fill("#password", password)
            page.keyboard.press("Enter")
            page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)
            page.goto(f"{base_url}/superset/dashboard/{slug}/?standalone=1")
            page.wait_for_function(CHARTS_SETTLED, timeout=120_000)
            page.wait_for_timeout(1500)  # ECharts animates its first draw
            page.emulate_media(media="screen")
            page.pdf(path=str(target), width="1400px", height="1000px", print_background=True)
        finally:
            browser.close()


def export_chart_files(client: SupersetClient, dashboard_id: int, folder: Path) -> list[Path]:
    """CSV and Excel of every chart on the dashboard, through the chart data API."""
    files: list[Path] = []
    for chart in client.request("GET", f"/api/v1/dashboard/{dashboard_id}/charts")["result"]:
        name = _slugify(chart["slice_name"])
        for export_format, suffix in (("csv", "csv"), ("xlsx", "xlsx")):
            response = client.raw(
                "GET", f"/api/v1/chart/{chart['id']}/data/?format={export_format}"
            )
            if response.status_code != 200:
                raise ReportError(
                    f"export of {chart['slice_name']!r} as {export_format} failed: "
                    f"{response.status_code} {response.text[:300]}"
                )
            path = folder / f"{name}.{suffix}"
            path.write_bytes(response.content)
            files.append(path)
    return files


def _send(smtp: SmtpSettings, recipients: list[str], subject: str, files: list[Path]) -> None:
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message.set_content(
        f"{subject}\n\nAttached: the dashboard as PDF and each chart as CSV and Excel.\n"
    )
    for path in files:
        subtype = {
            "pdf": "pdf",
            "csv": "csv",
            "xlsx": "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }[path.suffix.lstrip(".")]
        maintype = "text" if subtype == "csv" else "application"
        message.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    with smtplib.SMTP(smtp.host, smtp.port, timeout=60) as connection:
        if smtp.starttls:
            connection.starttls()
        if smtp.username and smtp.password:
            connection.login(smtp.username, smtp.password)
        connection.send_message(message)


def deliver_report(
    base_url: str,
    username: str,
    password: str,
    slug: str,
    recipients: list[str],
    reports_dir: Path,
    smtp: SmtpSettings,
    delivery_key: str | None = None,
) -> Delivery:
    """Produce one report of dashboard `slug`, e-mail it, and append it to the history.

    A failure is recorded in the history too (status "failed") before it is raised, so the
    history shows every attempt. When the history already holds a sent report of `slug` under
    `delivery_key`, nothing is sent again: the earlier delivery comes back with status
    "already_sent" (and no history line is added), so a retried run does not mail twice.
    """
    if delivery_key is not None:
        for earlier in read_history(reports_dir):
            if (earlier["dashboard"], earlier["status"], earlier.get("delivery_key")) == (
                slug,
                "sent",
                delivery_key,
            ):
                return Delivery(**{**earlier, "status": "already_sent"})
    started = datetime.now(UTC)
    folder = reports_dir / slug / started.strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=True)
    delivery = Delivery(
        slug,
        recipients,
        started.isoformat(timespec="seconds"),
        str(folder),
        delivery_key=delivery_key,
    )
    try:
        client = SupersetClient(base_url, username, password)
        found = client.request("GET", f"/api/v1/dashboard/{slug}")["result"]
        pdf = folder / f"{slug}.pdf"
        clock = time.perf_counter()
        render_dashboard_pdf(base_url, username, password, slug, pdf)
        files = [pdf, *export_chart_files(client, found["id"], folder)]
        delivery.files = [path.name for path in files]
        _send(
            smtp,
            recipients,
            f"ACME report: {found['dashboard_title']} ({started:%Y-%m-%d %H:%M} UTC)",
            files,
        )
        logger.info("report %s sent to %s in %.1f s", slug, recipients, time.perf_counter() - clock)
    except Exception as error:
        delivery.status, delivery.error = "failed", str(error)[:2000]
        raise
    finally:
        with (reports_dir / "history.jsonl").open("a") as history:
            history.write(json.dumps(asdict(delivery)) + "\n")
    return delivery


def read_history(reports_dir: Path) -> list[dict[str, Any]]:
    """Every delivery recorded so far, oldest first."""
    path = reports_dir / "history.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
