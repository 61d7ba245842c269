"""Programmatic access with the service account (the documented example), chart exports as CSV
and Excel, and e-mailed dashboard reports with their history, through a real SMTP receiver."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from acme.settings import Environment, Settings
from orchestration.alerts.resources import AlertsResource
from orchestration.reports.dashboards import (
    DAILY_DASHBOARDS,
    DashboardReportsResource,
    daily_dashboard_reports_job,
)
from tests.conftest import free_port
from tests.superset.conftest import ApiSession, Inbox, SupersetServer, api_session, smtp_receiver
from tests.superset.superset_sample_lake import build_serving_db

pytestmark = pytest.mark.superset


def chart_id(api: ApiSession, name: str) -> int:
    found = api.get_json(f"/api/v1/chart/?q=(filters:!((col:slice_name,opr:eq,value:'{name}')))")
    return int(found["result"][0]["id"])


def total_revenue(server: SupersetServer) -> Decimal:
    with duckdb.connect(str(server.serving_path), read_only=True) as conn:
        row = conn.execute(
            "select sum(gross_amount) from marts.sales_order_lines where not is_cancelled"
        ).fetchone()
    assert row is not None
    return Decimal(row[0])


def test_service_account_reads_chart_data_as_documented(superset_server: SupersetServer) -> None:
    # The example of docs/superset.md: log in, list dashboards, read a chart's data as JSON.
    api = ApiSession(superset_server.url, "svc_api", superset_server.passwords["svc_api"])
    slugs = {d["slug"] for d in api.get_json("/api/v1/dashboard/?q=(page_size:100)")["result"]}
    assert "sales-revenue" in slugs
    body = api.get_json(f"/api/v1/chart/{chart_id(api, 'Revenue')}/data/")
    value = body["result"][0]["data"][0]["revenue"]
    assert Decimal(str(value)).quantize(Decimal("0.01")) == total_revenue(superset_server)


def test_charts_serve_a_new_release_at_once(superset_server: SupersetServer) -> None:
    """A publish swaps the serving file; charts must not answer from the cache of the old one."""
    api = api_session(superset_server, "svc_api")
    target = chart_id(api, "Revenue")

    def served() -> Decimal:
        body = api.get_json(f"/api/v1/chart/{target}/data/")
        return Decimal(str(body["result"][0]["data"][0]["revenue"])).quantize(Decimal("0.01"))

    before = total_revenue(superset_server)
    assert served() == before  # and now in the cache
    serving = superset_server.serving_path
    original, release = serving.with_name("original.duckdb"), serving.with_name("release.duckdb")
    shutil.copy2(serving, original)
    build_serving_db(release, seed=8)
    try:
        os.replace(release, serving)
        assert total_revenue(superset_server) != before
        assert served() == total_revenue(superset_server)
    finally:
        os.replace(original, serving)
    assert served() == before


def test_service_account_cannot_change_anything(superset_server: SupersetServer) -> None:
    api = api_session(superset_server, "svc_api")
    target = chart_id(api, "Revenue")
    assert api.call(
        "PUT", f"/api/v1/chart/{target}", json={"slice_name": "hijacked"}
    ).status_code in {401, 403}
    assert api.call("DELETE", f"/api/v1/chart/{target}").status_code in {401, 403}


def test_chart_exports_as_csv_and_excel(superset_server: SupersetServer) -> None:
    api = api_session(superset_server, "svc_api")
    target = chart_id(api, "Revenue")
    exported = api.call("GET", f"/api/v1/chart/{target}/data/?format=csv")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == ["Revenue (USD)"]
    assert Decimal(rows[1][0]) == total_revenue(superset_server)
    excel = api.call("GET", f"/api/v1/chart/{target}/data/?format=xlsx")
    assert excel.status_code == 200
    with zipfile.ZipFile(io.BytesIO(excel.content)) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    assert str(total_revenue(superset_server)).rstrip("0").rstrip(".") in sheet


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_receiver() as receiver:
        yield receiver


def test_report_is_emailed_with_pdf_csv_excel_and_kept_in_history(
    superset_server: SupersetServer, inbox: tuple[Inbox, int], tmp_path: Path
) -> None:
    receiver, port = inbox
    env = {
        **superset_server.env,
        "ACME_ALERT_SMTP_HOST": "127.0.0.1",
        "ACME_ALERT_SMTP_PORT": str(port),
    }
    reports = tmp_path / "reports"

    def report(*key: str) -> dict[str, Any]:
        result = superset_server.cli(
            "report",
            "--url",
            superset_server.url,
            "--dashboard",
            "sales-revenue",
            "--to",
            "cfo@acme.example",
            "--reports-dir",
            str(reports),
            *key,
            env=env,
        )
        delivery: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        return delivery

    first = report("--delivery-key", "run-1")
    assert first["status"] == "sent"
    # A retry under the same key sends nothing and says when the report did go out.
    retried = report("--delivery-key", "run-1")
    assert (retried["status"], retried["delivered_at"]) == ("already_sent", first["delivered_at"])
    assert len(receiver.messages) == 1
    assert report()["status"] == "sent"
    assert len(receiver.messages) == 2
    message = receiver.messages[-1]
    assert message["To"] == "cfo@acme.example"
    attachments = {
        part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()
    }
    assert attachments["sales-revenue.pdf"][:5] == b"%PDF-"
    assert len(attachments["sales-revenue.pdf"]) > 20_000
    revenue = attachments["revenue.csv"].decode("utf-8-sig").splitlines()
    assert Decimal(revenue[1]) == total_revenue(superset_server)
    assert attachments["top-products.xlsx"][:2] == b"PK"
    history = [json.loads(line) for line in (reports / "history.jsonl").read_text().splitlines()]
    assert [entry["status"] for entry in history] == ["sent", "sent"]
    assert all(Path(entry["folder"], "sales-revenue.pdf").exists() for entry in history)


def test_dagster_job_emails_the_daily_dashboards_and_keeps_their_history(
    superset_server: SupersetServer,
    inbox: tuple[Inbox, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The scheduled delivery: the job the daily schedule runs, through Dagster, end to end."""
    receiver, port = inbox
    already = len(receiver.messages)
    monkeypatch.setenv("SUPERSET_SVC_API_PASSWORD", superset_server.passwords["svc_api"])
    settings = Settings(
        environment=Environment.CI,
        lake_root=tmp_path / "lake",
        superset_url=superset_server.url,
        report_email_to="cfo@acme.example, ops@acme.example",
        alert_smtp_host="127.0.0.1",
        alert_smtp_port=port,
    )
    result = daily_dashboard_reports_job.execute_in_process(
        resources={
            "dashboard_reports": DashboardReportsResource.from_settings(settings),
            "alerts": AlertsResource.from_settings(settings),
        }
    )
    assert result.success
    sent = receiver.messages[already:]
    assert [m["To"] for m in sent] == ["cfo@acme.example, ops@acme.example"] * len(DAILY_DASHBOARDS)
    history_file = settings.lake_root / "reports" / "history.jsonl"
    history = [json.loads(line) for line in history_file.read_text().splitlines()]
    assert [(entry["dashboard"], entry["status"]) for entry in history] == [
        (slug, "sent") for slug in DAILY_DASHBOARDS
    ]
    # The same run again (as a retry or re-execution is) mails nothing more.
    again = daily_dashboard_reports_job.execute_in_process(
        resources={
            "dashboard_reports": DashboardReportsResource.from_settings(settings),
            "alerts": AlertsResource.from_settings(settings),
        },
        run_id=result.run_id,
    )
    assert again.success
    assert len(receiver.messages) == already + len(DAILY_DASHBOARDS)
    assert len(history_file.read_text().splitlines()) == len(DAILY_DASHBOARDS)


def test_a_failed_report_is_recorded_and_reported(
    superset_server: SupersetServer, tmp_path: Path
) -> None:
    env = {
        **superset_server.env,
        "ACME_ALERT_SMTP_HOST": "127.0.0.1",
        "ACME_ALERT_SMTP_PORT": str(free_port()),
    }
    result = superset_server.cli(
        "report",
        "--url",
        superset_server.url,
        "--dashboard",
        "no-such-dashboard",
        "--to",
        "cfo@acme.example",
        "--reports-dir",
        str(tmp_path),
        env=env,
        check=False,
    )
    assert result.returncode != 0
    assert "404" in result.stderr
    history = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert history[-1]["status"] == "failed"
