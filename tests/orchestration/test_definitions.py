"""The full Definitions load, and hold every asset, check, job, schedule and sensor we rely on."""

from __future__ import annotations

import importlib
from pathlib import Path

import dagster as dg
import pytest

from acme.settings import Environment, Settings
from orchestration.automation import WAREHOUSE_CONDITION
from orchestration.definitions import PIPELINE_JOB, build_definitions
from orchestration.environment import OrchestrationEnvironment, prepare_dagster_home
from orchestration.raw.assets import RAW_EVENTS_KEY
from orchestration.warehouse.checks import FCT_ORDERS


@pytest.fixture(scope="module")
def defs(tmp_path_factory: pytest.TempPathFactory) -> dg.Definitions:
    root = tmp_path_factory.mktemp("defs")
    return build_definitions(
        Settings(environment=Environment.CI, lake_root=root / "lake", dagster_home=root / "home")
    )


def test_the_module_entry_point_loads() -> None:
    from orchestration.definitions import defs as module_defs

    dg.Definitions.validate_loadable(module_defs)


def test_every_layer_is_in_the_graph(defs: dg.Definitions) -> None:
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert {
        "raw",
        "staging",
        "intermediate",
        "marts",
        "serving",
        "analytics",
        "reports",
        "maintenance",
    } <= groups
    raw = graph.get(RAW_EVENTS_KEY)
    assert raw.is_observable
    assert not raw.is_materializable


def test_dbt_tests_are_checks_and_the_custom_suites_block(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    checks = graph.asset_check_keys
    assert sum(1 for key in checks if key.asset_key.path[0] == "marts") > 20
    for key in (
        dg.AssetCheckKey(RAW_EVENTS_KEY, "raw_events_gx_suite"),
        dg.AssetCheckKey(FCT_ORDERS, "fct_orders_gx_suite"),
    ):
        assert graph.get_check_spec(key).blocking


def test_warehouse_models_carry_the_automation_condition(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.group_name in {"staging", "intermediate", "marts", "serving"}:
            assert node.automation_condition == WAREHOUSE_CONDITION, key
        if node.group_name == "marts":
            assert node.freshness_policy is not None, key


def test_jobs_schedules_and_sensors_are_registered(defs: dg.Definitions) -> None:
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    assert {PIPELINE_JOB, "observe_raw", "daily_analytics", "weekly_report"} <= jobs
    assert {"daily_compaction", "weekly_maintenance"} <= jobs
    schedules = {schedule.cron_schedule for schedule in defs.schedules or []}  # type: ignore[union-attr]
    assert {"0 6 * * *", "0 7 * * 1", "0 2 * * *", "0 3 * * 0"} <= schedules
    sensors = {sensor.name for sensor in defs.sensors or []}  # type: ignore[union-attr]
    assert {
        "lakehouse_automation",
        "new_raw_data",
        "dead_letter_spike",
        "alert_on_run_failure",
        "alert_on_freshness_breach",
        "freshness_checks_sensor",
    } <= sensors


def test_dashboard_reports_are_scheduled_when_recipients_are_set(tmp_path: Path) -> None:
    def report_schedules(**recipients: str) -> list[str]:
        defs = build_definitions(
            Settings(
                environment=Environment.CI,
                lake_root=tmp_path / "lake",
                dagster_home=tmp_path / "home",
                alert_smtp_host="smtp.example.com",
                **recipients,
            )
        )
        return [
            schedule.cron_schedule  # type: ignore[misc]
            for schedule in defs.schedules or []  # type: ignore[union-attr]
            if schedule.job_name == "daily_dashboard_reports_job"  # type: ignore[union-attr]
        ]

    assert report_schedules() == []
    assert report_schedules(report_email_to="cfo@acme.example") == ["0 7 * * *"]


def test_the_dagster_home_is_prepared_outside_git(tmp_path: Path) -> None:
    environment = OrchestrationEnvironment(
        Settings(environment=Environment.PROD, pii_salt="s3cret", dagster_home=tmp_path / "home")
    )
    home = prepare_dagster_home(environment)
    assert home == tmp_path / "home"
    assert "max_retries: 3" in (home / "dagster.yaml").read_text()
    assert environment.default_sensor_status is dg.DefaultSensorStatus.RUNNING


def test_each_domain_folder_exposes_its_own_definitions() -> None:
    """Every domain folder says what it defines in its definitions.py; the entry point only merges
    them (orchestration/definitions.py). `quality/` is a helper library (GX), not a domain."""
    package = Path(__file__).parents[2] / "orchestration"
    domains = sorted(
        folder.name
        for folder in package.iterdir()
        if (folder / "__init__.py").exists() and folder.name != "quality"
    )
    assert domains == ["alerts", "analytics", "maintenance", "raw", "reports", "warehouse"]
    for domain in domains:
        module = importlib.import_module(f"orchestration.{domain}.definitions")
        assert callable(getattr(module, f"{domain}_definitions")), domain
