"""The report schedules: each morning the analytics the daily report reads (forecast, anomaly
scores) and the report itself, on Mondays the weekly summary. Here, not in analytics/, because
reports read analytics and never the other way round."""

import dagster as dg

from orchestration.analytics.assets import ANOMALIES_KEY, FORECASTS_KEY
from orchestration.environment import OrchestrationEnvironment
from orchestration.reports.assets import DAILY_REPORT_KEY, WEEKLY_REPORT_KEY

daily_analytics_job = dg.define_asset_job(
    name="daily_analytics",
    selection=dg.AssetSelection.assets(FORECASTS_KEY, ANOMALIES_KEY, DAILY_REPORT_KEY),
    description="Revenue forecast, anomaly scores and the daily sales report.",
)
weekly_report_job = dg.define_asset_job(
    name="weekly_report",
    selection=dg.AssetSelection.assets(WEEKLY_REPORT_KEY),
    description="The weekly sales summary.",
)


def build_report_schedules(environment: OrchestrationEnvironment) -> list[dg.ScheduleDefinition]:
    """Daily analytics at 06:00 UTC (after the night's maintenance), the weekly summary on
    Mondays at 07:00 UTC."""
    return [
        environment.utc_schedule(daily_analytics_job, "0 6 * * *"),
        environment.utc_schedule(weekly_report_job, "0 7 * * 1"),
    ]
