"""An `acme` command traced and logged for real: it continues the trace a parent hands it in
TRACEPARENT, traces the dbt run it starts with a span per dbt node, and logs JSON lines."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.telemetry.telemetry_helpers import hex_id, json_log_lines, spans

ACME = str(Path(sys.executable).parent / "acme")


@pytest.mark.slow
def test_a_dbt_run_is_a_span_with_its_nodes_inside_the_callers_trace(tmp_path: Path) -> None:
    trace_id, parent_id = secrets.token_hex(16), secrets.token_hex(8)
    traces = tmp_path / "spans.jsonl"
    env = {
        **os.environ,
        "TRACEPARENT": f"00-{trace_id}-{parent_id}-01",
        "ACME_TRACES_PATH": str(traces),
        "ACME_LAKE_ROOT": str(tmp_path / "lake"),
        "ACME_DUCKDB_BUILD_PATH": str(tmp_path / "lake" / "warehouse" / "build.duckdb"),
    }

    result = subprocess.run(
        [ACME, "warehouse", "dbt", "seed"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    by_name = {s["name"]: s for s in spans(traces)}
    command, dbt_run = by_name["acme warehouse"], by_name["dbt seed"]
    node = by_name["dbt node seed.acme.channels"]
    assert {hex_id(s["context"]["trace_id"]) for s in (command, dbt_run, node)} == {trace_id}
    assert hex_id(command["parent_id"]) == parent_id
    assert dbt_run["parent_id"] == command["context"]["span_id"]
    assert node["parent_id"] == dbt_run["context"]["span_id"]
    assert node["attributes"]["dbt.node.status"] == "success"
    assert node["attributes"]["dbt.node.rows_affected"] > 0
    assert dbt_run["attributes"]["dbt.nodes"] == 1
    assert dbt_run["attributes"]["dbt.nodes.success"] == 1
    assert dbt_run["attributes"]["process.exit_code"] == 0
    # dbt's own timings place the node inside the invocation's span.
    start = datetime.fromisoformat(node["start_time"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(node["end_time"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(dbt_run["start_time"].replace("Z", "+00:00")) <= start < end
    assert end <= datetime.fromisoformat(dbt_run["end_time"].replace("Z", "+00:00"))
    assert command["resource"]["attributes"]["service.name"] == "acme-cli"

    logs = json_log_lines(result.stderr, stage="cli")
    running = next(r for r in logs if r["message"] == "running dbt seed")
    assert running["logger"] == "acme.warehouse.dbt"
    assert running["trace_id"] == trace_id
    assert running["span_id"] == hex_id(dbt_run["context"]["span_id"])


def test_an_unwritable_traces_file_stops_the_command_naming_the_variable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {**os.environ, "ACME_TRACES_PATH": str(blocker / "spans.jsonl")}

    result = subprocess.run(
        [ACME, "contracts", "list"], env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode == 1
    assert "ACME_TRACES_PATH" in result.stderr
    assert "Traceback" not in result.stderr
