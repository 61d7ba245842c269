"""The whole graph on a temporary lake built by the simulator and the backfill: the pipeline job
materializes everything green; a corrupted input fails the right check and blocks what depends
on it; declarative automation picks the warehouse (and nothing else) after a new raw batch."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from acme.settings import Environment, Settings
from ingest.backfill import backfill_files
from ingest.tables import LIVE_MINUTE_METRICS, RAW_EVENTS
from ingest.writer import DeltaAppender
from orchestration.analytics.assets import ANOMALIES_KEY, FORECASTS_KEY
from orchestration.definitions import PIPELINE_JOB, build_definitions
from orchestration.raw.assets import RAW_EVENTS_KEY
from orchestration.reports.assets import DAILY_REPORT_KEY
from orchestration.warehouse.checks import FCT_ORDERS
from orchestration.warehouse.serving import SERVING_KEY
from simulator import SimulationConfig, simulate
from simulator.sinks import write_jsonl
from tests.orchestration.conftest import raw_event_rows

pytestmark = pytest.mark.slow

# Ten simulated days: enough history for the week-over-week checks and the forecast.
SIMULATION = SimulationConfig(seed=11, days=10, customers=2_000)
RAW_SUITE = dg.AssetCheckKey(RAW_EVENTS_KEY, "raw_events_gx_suite")
ORDERS_SUITE = dg.AssetCheckKey(FCT_ORDERS, "fct_orders_gx_suite")
RECONCILE = dg.AssetCheckKey(FCT_ORDERS, "live_metrics_reconcile_with_fct_orders")


def settings_for(root: Path) -> Settings:
    lake = root / "lake"
    return Settings(
        environment=Environment.CI,
        lake_root=lake,
        duckdb_build_path=lake / "warehouse" / "build.duckdb",
        duckdb_serving_path=lake / "warehouse" / "serving.duckdb",
        dagster_home=root / "dagster",
    )


@dataclass
class Built:
    """A lake after one green pipeline run, and the Dagster instance that ran it."""

    root: Path
    settings: Settings
    defs: dg.Definitions
    instance: dg.DagsterInstance
    result: dg.ExecuteInProcessResult


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("pipeline")
    settings = settings_for(root)
    events = root / "simulated"
    events.mkdir()
    write_jsonl(simulate(SIMULATION), events)
    backfill_files(settings, sorted(events.glob("*.jsonl")), None)
    defs = build_definitions(settings)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(PIPELINE_JOB).execute_in_process(
            instance=instance, raise_on_error=False
        )
        yield Built(root, settings, defs, instance, result)


def copy_of(built: Built, tmp_path: Path) -> tuple[Settings, dg.Definitions]:
    """A private copy of the built lake (tests that corrupt it must not touch the others)."""
    shutil.copytree(built.root / "lake", tmp_path / "lake", symlinks=True)
    settings = settings_for(tmp_path)
    return settings, build_definitions(settings)


def check_verdicts(result: dg.ExecuteInProcessResult) -> dict[dg.AssetCheckKey, bool]:
    return {
        evaluation.asset_check_key: evaluation.passed
        for evaluation in result.get_asset_check_evaluations()
    }


def test_the_pipeline_job_materializes_everything_green(built: Built) -> None:
    assert built.result.success
    materialized = {event.asset_key for event in built.result.get_asset_materialization_events()}
    assert {FCT_ORDERS, SERVING_KEY, FORECASTS_KEY, ANOMALIES_KEY, DAILY_REPORT_KEY} <= materialized
    verdicts = check_verdicts(built.result)
    assert verdicts[RAW_SUITE]
    assert verdicts[ORDERS_SUITE]
    dbt_test_checks = [key for key in verdicts if key.asset_key.path[0] == "marts"]
    assert len(dbt_test_checks) > 20
    assert all(verdicts[key] for key in dbt_test_checks)


def test_the_serving_copy_answers_with_the_built_orders(built: Built) -> None:
    settings = built.settings
    with duckdb.connect(str(settings.duckdb_build_path), read_only=True) as build:
        built_orders = build.execute("select count(*) from marts.fct_orders").fetchone()
    with duckdb.connect(str(settings.duckdb_serving_path), read_only=True) as serving:
        served_orders = serving.execute("select count(*) from marts.fct_orders").fetchone()
    assert built_orders == served_orders
    assert built_orders is not None
    assert built_orders[0] > 50


def test_forecasts_anomalies_and_reports_land_in_the_lake(built: Built) -> None:
    lake = built.settings.lake_root
    forecasts = DeltaTable(str(lake / "analytics" / "revenue_forecasts")).to_pandas()
    assert len(forecasts) == 14 * forecasts["currency"].nunique()
    assert (forecasts["lower"] <= forecasts["forecast"]).all()
    assert (forecasts["forecast"] <= forecasts["upper"]).all()
    scored = DeltaTable(str(lake / "analytics" / "daily_anomalies")).to_pandas()
    assert scored["day"].nunique() == SIMULATION.days
    report = (lake / "reports" / "daily_sales" / "latest.html").read_text()
    assert "Revenue forecast" in report
    assert (lake / "reports" / "weekly_sales" / "latest.csv").exists()
    data_docs = built.settings.dagster_home / "great_expectations" / "gx" / "uncommitted"
    assert (data_docs / "data_docs" / "local_site" / "index.html").exists()


def test_corrupted_raw_events_fail_the_raw_suite_and_block_the_warehouse(
    built: Built, tmp_path: Path
) -> None:
    settings, defs = copy_of(built, tmp_path)
    latest = max(
        date.fromisoformat(str(day))
        for day in DeltaTable(str(RAW_EVENTS.path(settings.lake_root))).to_pandas(
            columns=["event_date"]
        )["event_date"]
    )
    # A replay storm: positions already landed are written again, from a service nobody knows.
    replay = raw_event_rows(latest, 50, first_offset=0, services=("legacy-erp",))
    DeltaAppender(RAW_EVENTS.path(settings.lake_root), RAW_EVENTS).append(replay, {})
    build_mtime = settings.duckdb_build_path.stat().st_mtime

    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(PIPELINE_JOB).execute_in_process(
            instance=instance, raise_on_error=False
        )

    assert check_verdicts(result)[RAW_SUITE] is False
    evaluation = next(
        e for e in result.get_asset_check_evaluations() if e.asset_check_key == RAW_SUITE
    )
    failed = str(evaluation.metadata["failed_expectations"].value)
    assert "expect_column_values_to_be_in_set(source_service)" in failed
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert not materialized & {FCT_ORDERS, SERVING_KEY, FORECASTS_KEY}
    assert settings.duckdb_build_path.stat().st_mtime == build_mtime  # dbt never ran


def test_a_corrupted_mart_fails_its_suite_and_blocks_serving_and_analytics(
    built: Built, tmp_path: Path
) -> None:
    settings, defs = copy_of(built, tmp_path)
    with duckdb.connect(str(settings.duckdb_build_path)) as build:
        build.execute(
            "update marts.fct_orders set order_total = -order_total "
            "where ordered_date = (select max(ordered_date) from marts.fct_orders)"
        )
    served_before = settings.duckdb_serving_path.resolve()
    # The suite and what it gates, without rebuilding fct_orders over the corruption.
    gated = dg.define_asset_job(
        "gated_by_fct_orders",
        selection=dg.AssetSelection.checks(ORDERS_SUITE)
        | dg.AssetSelection.assets(SERVING_KEY, FORECASTS_KEY, ANOMALIES_KEY).without_checks(),
    )
    job = dg.Definitions.merge(defs, dg.Definitions(jobs=[gated])).resolve_job_def(gated.name)

    with dg.instance_for_test() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)

    assert check_verdicts(result) == {ORDERS_SUITE: False}
    assert not {e.asset_key for e in result.get_asset_materialization_events()}
    assert settings.duckdb_serving_path.resolve() == served_before


def test_automation_rebuilds_the_warehouse_after_a_new_raw_batch(
    built: Built, tmp_path: Path
) -> None:
    settings, defs = copy_of(built, tmp_path)
    instance = built.instance  # holds the green run's history, as the daemon would see it
    quiet = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    assert quiet.total_requested == 0
    latest = date.fromisoformat(
        str(
            DeltaTable(str(RAW_EVENTS.path(settings.lake_root)))
            .to_pandas(columns=["event_date"])["event_date"]
            .max()
        )
    )
    batch = raw_event_rows(latest, 20, first_offset=10**9, services=("orders",))
    DeltaAppender(RAW_EVENTS.path(settings.lake_root), RAW_EVENTS).append(batch, {})
    observed = defs.resolve_job_def("observe_raw").execute_in_process(instance=instance)
    assert observed.success
    after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=quiet.cursor)

    requested = {
        key
        for key in defs.resolve_asset_graph().get_all_asset_keys()
        if after.get_num_requested(key) > 0
    }
    assert FCT_ORDERS in requested
    assert SERVING_KEY in requested
    assert dg.AssetKey(["staging", "stg_orders__orders_placed"]) in requested
    assert not requested & {FORECASTS_KEY, ANOMALIES_KEY, DAILY_REPORT_KEY}
    assert not any(key.path[0] == "maintenance" for key in requested)


def write_live_minutes(settings: Settings, lose_every: int | None) -> None:
    """Live per-minute metrics as the streaming path would count them from the same orders;
    with `lose_every=n`, every n-th minute is missing (a flapping live path)."""
    with duckdb.connect(str(settings.duckdb_build_path), read_only=True) as build:
        minutes = build.execute(
            "select date_trunc('minute', ordered_at) as minute, currency, "
            "count(*) as orders_placed, sum(order_total)::decimal(18, 2) as revenue_amount "
            "from marts.fct_orders group by all order by minute"
        ).fetch_arrow_table()
    if lose_every is not None:
        kept = [index % lose_every != 0 for index in range(minutes.num_rows)]
        minutes = minutes.filter(pa.array(kept))
    now = pa.scalar(datetime.now(UTC), type=LIVE_MINUTE_METRICS.schema.field("flushed_at").type)
    table = pa.table(
        {
            "minute": minutes["minute"].cast(LIVE_MINUTE_METRICS.schema.field("minute").type),
            "region": pa.nulls(minutes.num_rows, pa.string()),
            "channel": pa.nulls(minutes.num_rows, pa.string()),
            "payment_provider": pa.nulls(minutes.num_rows, pa.string()),
            "currency": minutes["currency"],
            "session_id": pa.nulls(minutes.num_rows, pa.string()),
            "orders_placed": minutes["orders_placed"],
            "revenue_amount": minutes["revenue_amount"],
            "payment_successes": pa.array([0] * minutes.num_rows, pa.int64()),
            "payment_failures": pa.array([0] * minutes.num_rows, pa.int64()),
            "flushed_at": pa.array([now] * minutes.num_rows),
        },
        schema=LIVE_MINUTE_METRICS.schema,
    )
    DeltaAppender(LIVE_MINUTE_METRICS.path(settings.lake_root), LIVE_MINUTE_METRICS).append(
        table, {}
    )


@pytest.mark.parametrize(("lose_every", "agrees"), [(None, True), (10, False)])
def test_live_metrics_reconcile_with_the_marts_and_a_gap_is_caught(
    built: Built, tmp_path: Path, lose_every: int | None, agrees: bool
) -> None:
    settings, defs = copy_of(built, tmp_path)
    write_live_minutes(settings, lose_every)
    check = dg.define_asset_job("reconcile", selection=dg.AssetSelection.checks(RECONCILE))
    job = dg.Definitions.merge(defs, dg.Definitions(jobs=[check])).resolve_job_def(check.name)

    with dg.instance_for_test() as instance:
        [evaluation] = job.execute_in_process(instance=instance).get_asset_check_evaluations()

    assert evaluation.passed is agrees
    assert evaluation.severity is dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["days_reconciled"].value >= 1


def test_the_weekly_report_matches_the_mart_to_the_cent(built: Built) -> None:
    settings = built.settings
    report = pd.read_csv(settings.lake_root / "reports" / "weekly_sales" / "latest.csv")
    with duckdb.connect(str(settings.duckdb_build_path), read_only=True) as build:
        expected = build.execute(
            "select currency, count(*) as orders, sum(order_total) as revenue "
            "from marts.fct_orders where not is_cancelled and ordered_date > "
            "(select max(ordered_date) from marts.fct_orders) - 7 group by all order by all"
        ).fetchall()
    actual = [
        (row.currency, int(row.orders), Decimal(str(row.revenue)))
        for row in report.sort_values("currency").itertuples()
    ]
    assert actual == [(currency, orders, revenue) for currency, orders, revenue in expected]
