"""A real Dagster run (the `dagster` CLI on an instance with the managed dagster.yaml) logs JSON
lines of stage `dagster`, and traces its dbt step as a span with a child span per dbt node."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from acme.settings import Environment, Settings
from orchestration.environment import OrchestrationEnvironment, prepare_dagster_home
from tests.telemetry.telemetry_helpers import json_log_lines, spans

pytestmark = pytest.mark.slow


def test_a_dagster_run_logs_json_and_traces_its_dbt_step(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    settings = Settings(
        environment=Environment.CI,
        lake_root=lake,
        duckdb_build_path=lake / "warehouse" / "build.duckdb",
        dagster_home=tmp_path / "dagster",
    )
    home = prepare_dagster_home(OrchestrationEnvironment(settings))
    traces = tmp_path / "spans.jsonl"
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",  # dagster-dbt finds dbt
        "DAGSTER_HOME": str(home),
        "ACME_ENVIRONMENT": "ci",
        "ACME_DAGSTER_HOME": str(home),
        "ACME_LAKE_ROOT": str(lake),
        "ACME_DUCKDB_BUILD_PATH": str(settings.duckdb_build_path),
        "ACME_TRACES_PATH": str(traces),
    }

    result = subprocess.run(
        [str(bin_dir / "dagster"), "asset", "materialize", "-m", "orchestration.definitions",
         "--select", "reference/channels"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    # Dagster's default console logger still prints its text lines; every JSON line is complete.
    json_lines = "\n".join(line for line in result.stderr.splitlines() if line.startswith("{"))
    records = json_log_lines(json_lines, stage="dagster")
    run_ids = {r["dagster_meta"]["run_id"] for r in records if r.get("dagster_meta")}
    assert len(run_ids) == 1
    assert any("RUN_SUCCESS" in r["message"] for r in records)
    assert any("Finished dbt command" in r["message"] for r in records)

    by_name = {s["name"]: s for s in spans(traces)}
    dbt_run, node = by_name["dbt build"], by_name["dbt node seed.acme.channels"]
    assert dbt_run["attributes"]["dagster.run_id"] in run_ids
    assert dbt_run["resource"]["attributes"]["service.name"] == "acme-dagster"
    assert node["parent_id"] == dbt_run["context"]["span_id"]
    assert node["context"]["trace_id"] == dbt_run["context"]["trace_id"]
    assert node["attributes"]["dbt.node.status"] == "success"
    # The seed and its primary-key test.
    assert dbt_run["attributes"]["dbt.nodes"] == 2
    assert (
        dbt_run["attributes"]["dbt.nodes.success"] == dbt_run["attributes"]["dbt.nodes.pass"] == 1
    )
    assert json.loads(json_lines.splitlines()[0])["level"] in {"debug", "info"}
