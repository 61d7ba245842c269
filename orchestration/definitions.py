"""The one entry point Dagster loads: `dagster dev -m orchestration.definitions`.

Each domain folder contributes its assets, checks, jobs, schedules and sensors;
`build_definitions` assembles them for one `Settings`, so tests build the same graph on a
temporary lake that production builds on the real one.
"""

import dagster as dg

from acme.settings import Settings, get_settings
from orchestration.alerts.resources import AlertsResource
from orchestration.alerts.sensors import (
    build_freshness_breach_sensor,
    build_run_failure_alert_sensor,
)
from orchestration.analytics.assets import build_analytics_assets
from orchestration.environment import OrchestrationEnvironment
from orchestration.maintenance.assets import (
    GROUP as MAINTENANCE_GROUP,
)
from orchestration.maintenance.assets import (
    build_maintenance_assets,
    build_maintenance_schedules,
    compaction_job,
    weekly_maintenance_job,
)
from orchestration.raw.assets import dead_letters, raw_events
from orchestration.raw.checks import raw_events_gx_suite
from orchestration.raw.freshness import raw_freshness_checks
from orchestration.raw.sensors import build_raw_sensors, observe_raw_job
from orchestration.reports.assets import daily_sales_report, weekly_sales_summary
from orchestration.reports.dashboards import (
    DashboardReportsResource,
    build_dashboard_report_schedules,
    daily_dashboard_reports_job,
)
from orchestration.reports.schedules import (
    build_report_schedules,
    daily_analytics_job,
    weekly_report_job,
)
from orchestration.resources import LakehouseResource
from orchestration.warehouse.checks import (
    fct_orders_gx_suite,
    live_metrics_reconcile_with_fct_orders,
)
from orchestration.warehouse.dbt import build_dbt_assets, dbt_resource, mart_keys
from orchestration.warehouse.serving import build_serving_asset

PIPELINE_JOB = "lakehouse_pipeline"


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every asset, check, job, schedule and sensor of the lakehouse, for these settings."""
    environment = OrchestrationEnvironment(settings)
    dbt_models = build_dbt_assets(environment)
    freshness_checks = raw_freshness_checks()
    pipeline_job = dg.define_asset_job(
        name=PIPELINE_JOB,
        description="Everything from the raw tables to the serving copy, analytics and reports "
        "(what `make pipeline` runs); maintenance and freshness checks have their own schedule "
        "and sensor.",
        selection=dg.AssetSelection.all(include_sources=True)
        - dg.AssetSelection.groups(MAINTENANCE_GROUP)
        - dg.AssetSelection.checks(*freshness_checks),
    )
    return dg.Definitions(
        assets=[
            raw_events,
            dead_letters,
            *build_maintenance_assets(environment),
            dbt_models,
            build_serving_asset(environment, mart_keys(dbt_models)),
            *build_analytics_assets(environment),
            daily_sales_report,
            weekly_sales_summary,
        ],
        asset_checks=[
            raw_events_gx_suite,
            *freshness_checks,
            fct_orders_gx_suite,
            live_metrics_reconcile_with_fct_orders,
        ],
        jobs=[
            pipeline_job,
            observe_raw_job,
            compaction_job,
            weekly_maintenance_job,
            daily_analytics_job,
            weekly_report_job,
            daily_dashboard_reports_job,
        ],
        schedules=[
            *build_maintenance_schedules(environment),
            *build_report_schedules(environment),
            *build_dashboard_report_schedules(environment),
        ],
        sensors=[
            # Evaluates the declarative automation conditions (orchestration/automation.py);
            # declared here so it starts with the other sensors instead of stopped.
            dg.AutomationConditionSensorDefinition(
                name="lakehouse_automation",
                target=dg.AssetSelection.all(include_sources=True),
                default_status=environment.default_sensor_status,
                minimum_interval_seconds=30,
            ),
            *build_raw_sensors(environment),
            build_run_failure_alert_sensor(environment),
            build_freshness_breach_sensor(environment, freshness_checks),
            dg.build_sensor_for_freshness_checks(
                freshness_checks=freshness_checks,
                default_status=environment.default_sensor_status,
            ),
        ],
        # One process per run: a step subprocess re-imports dbt, GX and the definitions (10+ s each
        # on 2 cores) to do seconds of work, and dbt parallelizes inside its own process anyway.
        executor=dg.in_process_executor,
        resources={
            "lakehouse": LakehouseResource.from_settings(settings),
            "alerts": AlertsResource.from_settings(settings),
            "dashboard_reports": DashboardReportsResource.from_settings(settings),
            "dbt": dbt_resource(),
        },
    )


defs = build_definitions(get_settings())
