"""Provisioning as code: the bundles define the server, re-running changes nothing, and editing a
bundle changes exactly what it edits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests

from acme.settings import REPO_ROOT
from tests.superset.conftest import SupersetServer, api_session

pytestmark = pytest.mark.superset
BUNDLES = REPO_ROOT / "superset" / "bundles"


def provision(server: SupersetServer, bundles: Path = BUNDLES) -> dict[str, int]:
    result = server.cli("provision", "--url", server.url, "--bundles", str(bundles))
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_every_bundled_dashboard_exists_with_its_charts(superset_server: SupersetServer) -> None:
    api = api_session(superset_server, "admin")
    dashboards = {
        d["slug"]: d for d in api.get_json("/api/v1/dashboard/?q=(page_size:100)")["result"]
    }
    assert {"executive-live", "sales-revenue", "operations", "data-quality"} <= set(dashboards)
    charts = api.get_json(f"/api/v1/dashboard/{dashboards['executive-live']['id']}/charts")[
        "result"
    ]
    assert len(charts) == 9
    metadata = json.loads(
        api.get_json(f"/api/v1/dashboard/{dashboards['executive-live']['id']}")["result"][
            "json_metadata"
        ]
    )
    assert 0 < metadata["refresh_frequency"] <= 10


def test_dataset_metrics_and_columns_come_from_the_metrics_layer(
    superset_server: SupersetServer,
) -> None:
    """Each metric is the metrics layer's (label, description as its tooltip, SQL, format), and
    the columns of a mart carry their dbt label and description."""
    layer = json.loads((BUNDLES / "metrics.json").read_text())
    api = api_session(superset_server, "admin")
    found = api.get_json(
        "/api/v1/dataset/?q=(filters:!((col:table_name,opr:eq,value:'sales_order_lines')))"
    )["result"][0]
    dataset = api.get_json(f"/api/v1/dataset/{found['id']}")["result"]
    metrics = {m["metric_name"]: m for m in dataset["metrics"]}
    revenue, definition = metrics["revenue"], layer["metrics"]["revenue"]
    assert (revenue["verbose_name"], revenue["description"], revenue["d3format"]) == (
        definition["label"],
        definition["description"],
        definition["format"],
    )
    assert revenue["expression"] == (
        "coalesce(sum(gross_amount) filter (where is_cancelled = false), 0)"
    )
    columns = {c["column_name"]: c for c in dataset["columns"]}
    gross = layer["marts"]["sales_order_lines"]["columns"]["gross_amount"]
    assert columns["gross_amount"]["verbose_name"] == gross["label"] == "Gross amount"
    assert columns["gross_amount"]["description"] == gross["description"]


def test_a_metric_outside_the_metrics_layer_is_refused(
    superset_server: SupersetServer, tmp_path: Path
) -> None:
    edited = tmp_path / "bundles"
    shutil.copytree(BUNDLES, edited)
    lakehouse = edited / "00_lakehouse.yaml"
    lakehouse.write_text(
        lakehouse.read_text().replace("metrics: [revenue, ", "metrics: [net_revenu, revenue, ")
    )
    result = superset_server.cli(
        "provision", "--url", superset_server.url, "--bundles", str(edited), check=False
    )
    assert result.returncode != 0
    assert "no metric 'net_revenu' in the metrics layer" in result.stderr


def test_second_run_changes_nothing(superset_server: SupersetServer) -> None:
    changes = provision(superset_server)
    assert changes["created"] == 0
    assert changes["updated"] == 0
    assert changes["unchanged"] > 40


def test_editing_a_bundle_updates_the_dashboard(
    superset_server: SupersetServer, tmp_path: Path
) -> None:
    edited = tmp_path / "bundles"
    shutil.copytree(BUNDLES, edited)
    live = edited / "10_executive_live.yaml"
    live.write_text(
        live.read_text().replace("subheader: USD placed, last 24 hours", "subheader: USD (edited)")
    )
    try:
        assert provision(superset_server, edited)["updated"] == 1
        api = api_session(superset_server, "admin")
        chart = api.get_json(
            "/api/v1/chart/?q=(filters:!((col:slice_name,opr:eq,value:'Order value (24 h)')))"
        )["result"][0]
        params = json.loads(api.get_json(f"/api/v1/chart/{chart['id']}")["result"]["params"])
        assert params["subheader"] == "USD (edited)"
    finally:
        assert provision(superset_server)["updated"] == 1


def test_an_unknown_placeholder_fails_with_its_name(
    superset_server: SupersetServer, tmp_path: Path
) -> None:
    (tmp_path / "bad.yaml").write_text("databases:\n  - {name: X, sqlalchemy_uri: '${NOPE}'}\n")
    result = superset_server.cli(
        "provision", "--url", superset_server.url, "--bundles", str(tmp_path), check=False
    )
    assert result.returncode != 0
    assert "${NOPE}" in result.stderr


def test_health_endpoint_answers(superset_server: SupersetServer) -> None:
    assert requests.get(f"{superset_server.url}/health", timeout=5).text == "OK"
