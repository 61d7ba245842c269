"""Self-service: every published mart has a Superset dataset whose columns carry their dbt label
and description and whose metrics are the metrics layer's, and provisioning refuses a column or
metric nobody described (or described twice). Read back from a real Superset through its API."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from acme.settings import REPO_ROOT
from tests.superset.conftest import SupersetServer, api_session, dataset_rows

pytestmark = pytest.mark.superset
BUNDLES = REPO_ROOT / "superset" / "bundles"
LAYER = json.loads((BUNDLES / "metrics.json").read_text())
SELF_SERVICE = yaml.safe_load((BUNDLES / "05_self_service.yaml").read_text())["datasets"]


@pytest.fixture(scope="module")
def datasets(superset_server: SupersetServer) -> dict[str, dict[str, Any]]:
    """Every dataset on the server as the API shows it (columns, metrics, SQL), by name."""
    api = api_session(superset_server, "admin")
    listed = api.get_json("/api/v1/dataset/?q=(page_size:100)")["result"]
    return {
        row["table_name"]: api.get_json(f"/api/v1/dataset/{row['id']}")["result"] for row in listed
    }


def test_every_mart_has_a_dataset(datasets: dict[str, dict[str, Any]]) -> None:
    read = {
        mart
        for dataset in datasets.values()
        for mart in re.findall(r"\bmarts\.(\w+)", dataset.get("sql") or "")
    }
    assert set(LAYER["marts"]) - read == set()
    for spec in SELF_SERVICE:
        dataset = datasets[spec["name"]]
        assert dataset["sql"].startswith(f"select * from marts.{spec['model']}\n")
        assert dataset["description"] == LAYER["marts"][spec["model"]]["description"]


def test_every_column_has_a_label_and_a_description(datasets: dict[str, dict[str, Any]]) -> None:
    for name, dataset in datasets.items():
        for column in dataset["columns"]:
            assert column["verbose_name"], (name, column["column_name"])
            assert column["description"], (name, column["column_name"])
    for spec in SELF_SERVICE:
        mart = LAYER["marts"][spec["model"]]["columns"]
        columns = {c["column_name"]: c for c in datasets[spec["name"]]["columns"]}
        assert set(columns) == set(mart), spec["name"]
        for column, doc in mart.items():
            assert columns[column]["verbose_name"] == doc["label"]
            assert columns[column]["description"] == doc["description"]
            assert columns[column]["is_dttm"] == (doc["type"] in ("date", "timestamp"))
    refunds = {c["column_name"]: c for c in datasets["fct_refunds"]["columns"]}
    assert refunds["refund_id"]["verbose_name"] == "Refund ID"


def test_metrics_are_the_metrics_layers_with_their_sql(
    datasets: dict[str, dict[str, Any]],
) -> None:
    for spec in SELF_SERVICE:
        metrics = {m["metric_name"]: m for m in datasets[spec["name"]]["metrics"]}
        assert set(metrics) == set(spec.get("metrics", [])), spec["name"]
        for name, metric in metrics.items():
            definition = LAYER["metrics"][name]
            assert metric["verbose_name"] == definition["label"]
            assert metric["description"] == definition["description"]
            assert metric["d3format"] == definition["format"]
    refunds = {m["metric_name"]: m["expression"] for m in datasets["fct_refunds"]["metrics"]}
    assert refunds["refund_amount"] == "coalesce(sum(amount), 0)"
    assert refunds["average_refund"] == ("coalesce(sum(amount), 0) / nullif(count(refund_id), 0)")
    stock = {m["metric_name"]: m["expression"] for m in datasets["fct_daily_stock"]["metrics"]}
    assert stock["stockout_rate"] == (
        "count(daily_stock_id) filter (where had_stockout = true) / nullif(count(daily_stock_id), 0)"
    )


def test_an_analyst_charts_every_metric_of_every_self_service_dataset(
    superset_server: SupersetServer,
) -> None:
    """Each metric's SQL runs on its mart, for the Analyst who builds charts (sample lake: the
    self-service marts are empty, so counts are 0)."""
    analyst = api_session(superset_server, "analyst")
    for spec in SELF_SERVICE:
        metrics = spec.get("metrics", [])
        if metrics:
            (row,) = dataset_rows(analyst, spec["name"], metrics)
            assert set(row) == set(metrics)
    (row,) = dataset_rows(analyst, "fct_refunds", ["refunds_issued", "refund_amount"])
    assert row == {"refunds_issued": 0, "refund_amount": 0}


def test_regional_managers_row_security_covers_the_datasets_with_a_region(
    superset_server: SupersetServer, datasets: dict[str, dict[str, Any]]
) -> None:
    api = api_session(superset_server, "admin")
    (rule,) = [
        r
        for r in api.get_json("/api/v1/rowlevelsecurity/?q=(page_size:100)")["result"]
        if r["name"] == "Regional managers see their region"
    ]
    covered = {table["table_name"] for table in rule["tables"]}
    with_region = {
        name
        for name, dataset in datasets.items()
        if "region" in {c["column_name"] for c in dataset["columns"]}
    }
    assert with_region == covered


# (bundle file, text, its replacement, the refusal's message): a column in dbt and in the bundle;
# a bundle column without a description; a Superset column nobody described; an operational
# metric without a description.
REFUSALS = {
    "column described twice": (
        "05_self_service.yaml",
        "    model: fct_refunds\n",
        "    model: fct_refunds\n    columns:\n      amount: {label: Amount, description: Money.}\n",
        "dataset fct_refunds: columns ['amount'] are described twice",
    ),
    "column without description": (
        "00_lakehouse.yaml",
        '      mart: {label: Fact table, description: "Fact table of the serving database."}\n',
        "      mart: {label: Fact table}\n",
        "dataset mart_freshness: column mart has no label or no description",
    ),
    "column nobody described": (
        "00_lakehouse.yaml",
        '      topic: {label: Topic, description: "Kafka topic the refused event came from."}\n',
        "",
        "dataset dead_letters: columns ['topic'] have no label and description",
    ),
    "metric without description": (
        "00_lakehouse.yaml",
        '         description: "Events the ingester refused and kept in the dead-letter table."}',
        "}",
        "dataset dead_letters: metric dead_letter_count has no label or no description",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_provisioning_refuses_what_is_not_described_once(
    superset_server: SupersetServer, tmp_path: Path, case: str
) -> None:
    """A copy of the bundles with one edit; provisioning must fail and say what to fix."""
    file, old, new, message = REFUSALS[case]
    edited = tmp_path / "bundles"
    shutil.copytree(BUNDLES, edited)
    path = edited / file
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    result = superset_server.cli(
        "provision", "--url", superset_server.url, "--bundles", str(edited), check=False
    )
    assert result.returncode != 0
    assert message in result.stderr
