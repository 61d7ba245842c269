"""The analytics domain's Definitions: the revenue forecast and the anomaly scores (their jobs
and schedules are the reports domain's, which also runs the daily report they feed)."""

import dagster as dg

from orchestration.analytics.assets import build_analytics_assets
from orchestration.environment import OrchestrationEnvironment


def analytics_definitions(environment: OrchestrationEnvironment) -> dg.Definitions:
    return dg.Definitions(assets=build_analytics_assets(environment))
