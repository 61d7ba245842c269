"""The alerts domain's Definitions: the sensors that page on failed runs and stale raw data, and
the alert channels every domain sends through."""

import dagster as dg

from orchestration.alerts.resources import AlertsResource
from orchestration.alerts.sensors import (
    build_freshness_breach_sensor,
    build_run_failure_alert_sensor,
)
from orchestration.environment import OrchestrationEnvironment


def alerts_definitions(
    environment: OrchestrationEnvironment, freshness_checks: list[dg.AssetChecksDefinition]
) -> dg.Definitions:
    return dg.Definitions(
        sensors=[
            build_run_failure_alert_sensor(environment),
            build_freshness_breach_sensor(environment, freshness_checks),
        ],
        resources={"alerts": AlertsResource.from_settings(environment.settings)},
    )
