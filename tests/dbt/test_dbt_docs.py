"""`dbt docs generate` and `dbt source freshness` work on a built lake, and every model and column
is described with its grain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acme.warehouse.dbt import run_dbt
from tests.dbt.dbt_lake import SimulatedLake

pytestmark = pytest.mark.slow


def test_docs_generate_describes_every_model_and_column(
    built_lake: SimulatedLake, tmp_path: Path
) -> None:
    run_dbt(["docs", "generate"], built_lake.settings, target_path=tmp_path, capture=True)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    catalog = json.loads((tmp_path / "catalog.json").read_text())
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    assert len(models) > 60
    for model in models:
        assert "one row per" in model["description"].lower(), model["name"]
        built = catalog["nodes"][model["unique_id"]]["columns"]
        undocumented = sorted(set(built) - set(model["columns"]))
        assert undocumented == [], model["name"]
        assert all(column["description"] for column in model["columns"].values()), model["name"]


def test_source_freshness_passes_on_a_just_loaded_lake(
    built_lake: SimulatedLake, tmp_path: Path
) -> None:
    output = run_dbt(
        ["source", "freshness"], built_lake.settings, target_path=tmp_path, capture=True
    )
    sources = json.loads((tmp_path / "sources.json").read_text())["results"]
    assert len(sources) == 11
    assert {result["status"] for result in sources} == {"pass"}, output
