"""The raw domain's Definitions: the ingest tables observed, their checks, jobs and sensors."""

import dagster as dg

from orchestration.environment import OrchestrationEnvironment
from orchestration.raw.assets import dead_letters, raw_events
from orchestration.raw.checks import raw_events_gx_suite
from orchestration.raw.sensors import build_raw_sensors, observe_raw_job


def raw_definitions(
    environment: OrchestrationEnvironment, freshness_checks: list[dg.AssetChecksDefinition]
) -> dg.Definitions:
    """`freshness_checks` come in from the caller because the alerts domain watches them too."""
    return dg.Definitions(
        assets=[raw_events, dead_letters],
        asset_checks=[raw_events_gx_suite, *freshness_checks],
        jobs=[observe_raw_job],
        sensors=[
            *build_raw_sensors(environment),
            dg.build_sensor_for_freshness_checks(
                freshness_checks=freshness_checks,
                default_status=environment.default_sensor_status,
            ),
        ],
    )
