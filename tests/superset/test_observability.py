"""Superset observed for real: a chart query on the serving DuckDB is a span in the caller's trace
(traceparent header), a JSON log line pointing at that span, and moves the Prometheus query
metrics at /metrics."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.superset.conftest import SupersetServer, api_session
from tests.superset.test_exports_and_api import chart_id
from tests.telemetry.telemetry_helpers import hex_id, json_log_lines, spans

pytestmark = pytest.mark.superset


def serving_metrics(server: SupersetServer) -> dict[str, float]:
    """The query metrics' samples summed over databases, by sample name (and outcome)."""
    text = requests.get(f"{server.url}/metrics", timeout=30).text
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("acme_superset_quer"):
                name = sample.name
                if "outcome" in sample.labels:
                    name += f"{{outcome={sample.labels['outcome']}}}"
                if "le" not in sample.labels:
                    totals[name] = totals.get(name, 0.0) + sample.value
    return totals


def wait_for_span(server: SupersetServer, trace_id: str) -> list[dict[str, Any]]:
    """The spans of `trace_id` in Superset's traces file (exported in batches, so wait a little)."""
    traces = server.env["ACME_TRACES_PATH"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            found = [s for s in spans(Path(traces)) if hex_id(s["context"]["trace_id"]) == trace_id]
        except FileNotFoundError:
            found = []
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"no span of trace {trace_id} in {traces}")


def test_a_chart_query_is_traced_logged_and_counted(superset_server: SupersetServer) -> None:
    api = api_session(superset_server, "svc_api")
    chart = chart_id(api, "Revenue")
    before = serving_metrics(superset_server)
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)

    response = api.call(
        "GET",
        f"/api/v1/chart/{chart}/data/?force=true",
        headers={"traceparent": f"00-{trace_id}-{parent_id}-01"},
    )

    assert response.status_code == 200, response.text[:500]
    rows = len(response.json()["result"][0]["data"])
    (query,) = [
        s for s in wait_for_span(superset_server, trace_id) if s["name"] == "superset query"
    ]
    assert hex_id(query["parent_id"]) == parent_id
    attributes = query["attributes"]
    assert attributes["db.system.name"] == "duckdb"
    assert attributes["url.path"] == f"/api/v1/chart/{chart}/data/"
    assert attributes["db.response.returned_rows"] == rows
    assert len(attributes["acme.sql.sha256"]) == 16
    assert query["resource"]["attributes"]["service.name"] == "acme-superset"

    after = serving_metrics(superset_server)
    assert (
        after["acme_superset_queries_total{outcome=ok}"]
        >= before.get("acme_superset_queries_total{outcome=ok}", 0) + 1
    )
    assert after["acme_superset_query_seconds_count"] > before.get(
        "acme_superset_query_seconds_count", 0
    )
    assert after["acme_superset_query_seconds_sum"] > before.get(
        "acme_superset_query_seconds_sum", 0
    )
    assert (
        after["acme_superset_query_rows_sum"]
        >= before.get("acme_superset_query_rows_sum", 0) + rows
    )

    # Superset's log: every line its app wrote is a JSON record; the query's points at its span.
    app_lines = [
        line
        for line in superset_server.log_path.read_text().splitlines()
        if '"stage": "superset"' in line
    ]
    records = json_log_lines("\n".join(app_lines), stage="superset")
    (logged,) = [
        r for r in records if r["message"] == "serving query" and r.get("trace_id") == trace_id
    ]
    assert logged["span_id"] == hex_id(query["context"]["span_id"])
    assert logged["rows"] == rows
    assert any(r["logger"].startswith(("superset", "gunicorn")) for r in records)
