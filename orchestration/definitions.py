"""The one entry point Dagster loads: `dagster dev -m orchestration.definitions`.

Each domain folder contributes its assets, checks, jobs, schedules and sensors;
`build_definitions` assembles them for one `Settings`, so tests build the same graph on a
temporary lake that production builds on the real one.
"""

from __future__ import annotations

import dagster as dg

from acme.settings import Settings, get_settings
from orchestration.alerts.resources import AlertsResource
from orchestration.alerts.sensors import (
    build_freshness_breach_sensor,
    build_run_failure_alert_sensor,
)
from orchestration.environment import OrchestrationEnvironment
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
from orchestration.resources import LakehouseResource


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every asset, check, job, schedule and sensor of the lakehouse, for these settings."""
    environment = OrchestrationEnvironment(settings)
    freshness_checks = [*raw_freshness_checks()]
    return dg.Definitions(
        assets=[raw_events, dead_letters, *build_maintenance_assets(environment)],
        asset_checks=[raw_events_gx_suite, *freshness_checks],
        jobs=[observe_raw_job, compaction_job, weekly_maintenance_job],
        schedules=build_maintenance_schedules(environment),
        sensors=[
            *build_raw_sensors(environment),
            build_run_failure_alert_sensor(environment),
            build_freshness_breach_sensor(environment, freshness_checks),
            dg.build_sensor_for_freshness_checks(
                freshness_checks=freshness_checks,
                default_status=environment.default_sensor_status,
            ),
        ],
        resources={
            "lakehouse": LakehouseResource.from_settings(settings),
            "alerts": AlertsResource.from_settings(settings),
        },
    )


defs = build_definitions(get_settings())
