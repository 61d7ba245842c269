"""The analytics domain's Definitions: the revenue forecast and anomaly scores, on schedules."""

import dagster as dg

from orchestration.analytics.assets import build_analytics_assets
from orchestration.analytics.schedules import (
    build_analytics_schedules,
    daily_analytics_job,
    weekly_report_job,
)
from orchestration.environment import OrchestrationEnvironment


def analytics_definitions(environment: OrchestrationEnvironment) -> dg.Definitions:
    return dg.Definitions(
        assets=build_analytics_assets(environment),
        jobs=[daily_analytics_job, weekly_report_job],
        schedules=build_analytics_schedules(environment),
    )
