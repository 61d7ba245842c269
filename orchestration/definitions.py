"""The one entry point Dagster loads: `dagster dev -m orchestration.definitions`.

Each domain folder (`raw/`, `maintenance/`, `warehouse/`, `analytics/`, `reports/`, `alerts/`)
exposes its own `Definitions` (assets, checks, jobs, schedules, sensors and the resources only it
uses) in its `definitions.py`; `build_definitions` merges them with what spans every domain (the
pipeline job, the automation sensor, the executor and the shared resources) for one `Settings`,
so tests build the same graph on a temporary lake that production builds on the real one.
"""

import dagster as dg

from acme.settings import Settings, get_settings
from orchestration.alerts.definitions import alerts_definitions
from orchestration.analytics.definitions import analytics_definitions
from orchestration.environment import OrchestrationEnvironment
from orchestration.maintenance.assets import GROUP as MAINTENANCE_GROUP
from orchestration.maintenance.definitions import maintenance_definitions
from orchestration.raw.definitions import raw_definitions
from orchestration.raw.freshness import raw_freshness_checks
from orchestration.reports.definitions import reports_definitions
from orchestration.resources import LakehouseResource
from orchestration.warehouse.definitions import warehouse_definitions

PIPELINE_JOB = "lakehouse_pipeline"


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every asset, check, job, schedule and sensor of the lakehouse, for these settings."""
    environment = OrchestrationEnvironment(settings)
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
    across_domains = dg.Definitions(
        jobs=[pipeline_job],
        sensors=[
            # Evaluates the declarative automation conditions (orchestration/automation.py);
            # declared here so it starts with the other sensors instead of stopped.
            dg.AutomationConditionSensorDefinition(
                name="lakehouse_automation",
                target=dg.AssetSelection.all(include_sources=True),
                default_status=environment.default_sensor_status,
                minimum_interval_seconds=30,
            ),
        ],
        # One process per run: a step subprocess re-imports dbt, GX and the definitions (10+ s each
        # on 2 cores) to do seconds of work, and dbt parallelizes inside its own process anyway.
        executor=dg.in_process_executor,
        resources={"lakehouse": LakehouseResource.from_settings(settings)},
    )
    return dg.Definitions.merge(
        raw_definitions(environment, freshness_checks),
        maintenance_definitions(environment),
        warehouse_definitions(environment),
        analytics_definitions(environment),
        reports_definitions(environment),
        alerts_definitions(environment, freshness_checks),
        across_domains,
    )


defs = build_definitions(get_settings())
