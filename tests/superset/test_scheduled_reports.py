"""Reports users schedule themselves (Superset Alerts & Reports): created in the browser or
through the REST API, run by the real Celery worker and beat that `acme-superset up` starts,
screenshotted by Debian's Chromium and e-mailed to a real SMTP receiver."""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.superset.conftest import ARTIFACTS, Inbox, SupersetServer, api_session, log_in

pytestmark = pytest.mark.superset

# Every minute, so the next beat tick runs it ("Every minute" in the UI's schedule picker).
EVERY_MINUTE = "* * * * *"
DASHBOARD_TITLE = "Sales & Revenue"
# A tick comes within a minute; the worker then renders the dashboard (tens of seconds here).
DELIVERY_TIMEOUT_S = 300


def dashboard_id(server: SupersetServer, slug: str) -> int:
    return int(api_session(server, "admin").get_json(f"/api/v1/dashboard/{slug}")["result"]["id"])


def report_payload(server: SupersetServer, name: str, **overrides: Any) -> dict[str, Any]:
    return {
        "type": "Report",
        "name": name,
        "crontab": EVERY_MINUTE,
        "timezone": "UTC",
        "dashboard": dashboard_id(server, "sales-revenue"),
        "report_format": "PNG",
        "recipients": [{"type": "Email", "recipient_config_json": {"target": "cfo@acme.example"}}],
        "active": True,
        **overrides,
    }


def wait_for_mail(inbox: Inbox, subject: str) -> EmailMessage:
    deadline = time.monotonic() + DELIVERY_TIMEOUT_S
    while time.monotonic() < deadline:
        for message in inbox.messages:
            if message["Subject"] == subject:
                return message
        time.sleep(2)
    raise AssertionError(
        f"no e-mail {subject!r} within {DELIVERY_TIMEOUT_S} s; "
        f"received: {[m['Subject'] for m in inbox.messages]}"
    )


@pytest.fixture
def cleanup(superset_server: SupersetServer) -> Iterator[Callable[[str, int], None]]:
    """Register (user, report id) to delete after the test, so no report keeps mailing."""
    created: list[tuple[str, int]] = []
    yield lambda user, report_id: created.append((user, report_id))
    for user, report_id in created:
        api_session(superset_server, user).call("DELETE", f"/api/v1/report/{report_id}")


# user: may schedule reports. Everyone who reads dashboards may have them mailed; the read-only
# service account may not (docs/decisions/superset-reports.md).
MAY_SCHEDULE = {
    "admin": True,
    "analyst": True,
    "viewer": True,
    "manager_ca": True,
    "svc_api": False,
}


@pytest.mark.parametrize("user", sorted(MAY_SCHEDULE))
def test_who_may_schedule_reports(
    superset_server: SupersetServer, user: str, cleanup: Callable[[str, int], None]
) -> None:
    api = api_session(superset_server, user)
    created = api.call(
        "POST",
        "/api/v1/report/",
        json=report_payload(superset_server, f"Access check by {user}", active=False),
    )
    if not MAY_SCHEDULE[user]:
        assert created.status_code == 403, created.text[:300]
        return
    assert created.status_code == 201, created.text[:500]
    report_id = int(created.json()["id"])
    cleanup(user, report_id)
    mine = api.get_json(f"/api/v1/report/{report_id}")["result"]
    assert [owner["id"] for owner in mine["owners"]] == [
        api.get_json("/api/v1/me/")["result"]["id"]
    ]
    if user != "admin":  # people see their own reports only, not their colleagues'
        others = api_session(superset_server, "analyst" if user != "analyst" else "viewer")
        listed = others.get_json("/api/v1/report/?q=(page_size:100)")["result"]
        assert report_id not in {r["id"] for r in listed}


def test_viewer_schedules_a_dashboard_report_in_the_browser_and_receives_it(
    superset_server: SupersetServer,
    browser: Browser,
    report_inbox: tuple[Inbox, int],
    cleanup: Callable[[str, int], None],
) -> None:
    """The dashboard's menu "Manage email report" -> "Set up an email report", as a viewer; the
    worker renders the dashboard as the viewer and mails the screenshot to the viewer."""
    inbox, _ = report_inbox
    name = "My sales every minute"
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    try:
        log_in(page, superset_server, "viewer")
        page.goto(f"{superset_server.url}/superset/dashboard/sales-revenue/")
        page.click('[data-test="actions-trigger"]', timeout=90_000)
        page.get_by_text("Manage email report").hover()
        page.get_by_text("Set up an email report").click()
        modal = page.locator(".ant-modal-content")
        modal.locator('[data-test="report-name-test"]').fill(name)
        modal.get_by_test_id("select-period").click()
        page.locator(
            ".ant-select-dropdown:visible .ant-select-item-option", has_text="minute"
        ).click()
        page.screenshot(path=str(ARTIFACTS / "viewer" / "schedule-email-report.png"))
        modal.get_by_role("button", name="Add").click()
        modal.wait_for(state="hidden", timeout=30_000)
    finally:
        context.close()

    viewer = api_session(superset_server, "viewer")
    found = viewer.get_json(f"/api/v1/report/?q=(filters:!((col:name,opr:eq,value:'{name}')))")
    assert found["count"] == 1
    report_id = int(found["result"][0]["id"])
    cleanup("viewer", report_id)
    report = viewer.get_json(f"/api/v1/report/{report_id}")["result"]
    assert (report["crontab"], report["active"], report["dashboard"]["id"]) == (
        EVERY_MINUTE,
        True,
        dashboard_id(superset_server, "sales-revenue"),
    )

    message = wait_for_mail(inbox, f"[ACME report] {name}: {DASHBOARD_TITLE}")
    assert message["To"] == "viewer@acme.example"
    assert_dashboard_screenshot(message, superset_server.url)
    logs = viewer.get_json(f"/api/v1/report/{report_id}/log/?q=(page_size:10)")["result"]
    assert "Success" in {log["state"] for log in logs}


def assert_dashboard_screenshot(message: EmailMessage, base_url: str) -> None:
    """One inline PNG of the whole dashboard, drawn (not a blank or half-loaded page)."""
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1
    png = images[0].get_payload(decode=True)
    assert isinstance(png, bytes)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk comes first
    assert width >= 1200
    assert height >= 800
    # A blank page of this size compresses to a few kB; drawn charts and text to ~100 kB.
    assert len(png) > 50_000
    # ... and the link back to the dashboard on this server.
    html = message.get_body(preferencelist=("html",))
    assert isinstance(html, EmailMessage)
    assert f"{base_url}/superset/dashboard/" in html.get_content()


def test_analyst_schedules_a_pdf_report_for_others_through_the_api(
    superset_server: SupersetServer,
    report_inbox: tuple[Inbox, int],
    cleanup: Callable[[str, int], None],
) -> None:
    inbox, _ = report_inbox
    analyst = api_session(superset_server, "analyst")
    name = "Sales PDF for the CFO"
    created = analyst.call(
        "POST",
        "/api/v1/report/",
        json=report_payload(superset_server, name, report_format="PDF"),
    )
    assert created.status_code == 201, created.text[:500]
    report_id = int(created.json()["id"])
    cleanup("analyst", report_id)

    message = wait_for_mail(inbox, f"[ACME report] {name}: {DASHBOARD_TITLE}")
    assert message["To"] == "cfo@acme.example"
    assert message["From"] == "superset-reports@acme.example"
    # Superset names the attachment `'<subject>.pdf'`, quotes included, as application/octet-stream.
    pdfs = [
        part.get_payload(decode=True)
        for part in message.iter_attachments()
        if (part.get_filename() or "").strip("'") == f"{name}: {DASHBOARD_TITLE}.pdf"
    ]
    assert len(pdfs) == 1
    pdf = pdfs[0]
    assert isinstance(pdf, bytes)
    assert pdf[:5] == b"%PDF-"
    assert len(pdf) > 20_000  # the dashboard's image, not an empty page
    logs = analyst.get_json(f"/api/v1/report/{report_id}/log/?q=(page_size:10)")["result"]
    assert "Success" in {log["state"] for log in logs}
