"""The Dagster pipeline job on a simulated lake: Definitions load time, and the wall time of the
`lakehouse_pipeline` job (raw observation and GX suite, dbt build, mart checks, serving publish,
forecast, anomaly scores, reports), in process on a temporary lake."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import dagster as dg

from acme.settings import Environment, Settings
from ingest.backfill import backfill_files
from simulator import SimulationConfig, simulate
from simulator.sinks import write_jsonl

CONFIG = SimulationConfig(seed=7, days=14, customers=2_000)


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        lake = root / "lake"
        settings = Settings(
            environment=Environment.CI,
            lake_root=lake,
            duckdb_build_path=lake / "warehouse" / "build.duckdb",
            duckdb_serving_path=lake / "warehouse" / "serving.duckdb",
            dagster_home=root / "dagster",
        )
        events = root / "events"
        events.mkdir()
        write_jsonl(simulate(CONFIG), events)
        backfill_files(settings, sorted(events.glob("*.jsonl")), None)

        started = time.perf_counter()
        from orchestration.definitions import PIPELINE_JOB, build_definitions

        defs = build_definitions(settings)
        load_seconds = time.perf_counter() - started

        with dg.instance_for_test() as instance:
            started = time.perf_counter()
            result = defs.resolve_job_def(PIPELINE_JOB).execute_in_process(
                instance=instance, raise_on_error=False
            )
            pipeline_seconds = time.perf_counter() - started
        return {
            "simulated_days": CONFIG.days,
            "simulated_customers": CONFIG.customers,
            "definitions_load_seconds": round(load_seconds, 2),
            "pipeline_seconds": round(pipeline_seconds, 2),
            "pipeline_success": result.success,
            "assets_materialized": len(result.get_asset_materialization_events()),
            "checks_evaluated": len(result.get_asset_check_evaluations()),
        }
