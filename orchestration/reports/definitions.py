"""The reports domain's Definitions: the report files and the daily dashboard e-mails."""

import dagster as dg

from orchestration.environment import OrchestrationEnvironment
from orchestration.reports.assets import daily_sales_report, weekly_sales_summary
from orchestration.reports.dashboards import (
    DashboardReportsResource,
    build_dashboard_report_schedules,
    daily_dashboard_reports_job,
)


def reports_definitions(environment: OrchestrationEnvironment) -> dg.Definitions:
    return dg.Definitions(
        assets=[daily_sales_report, weekly_sales_summary],
        jobs=[daily_dashboard_reports_job],
        schedules=build_dashboard_report_schedules(environment),
        resources={
            "dashboard_reports": DashboardReportsResource.from_settings(environment.settings)
        },
    )
