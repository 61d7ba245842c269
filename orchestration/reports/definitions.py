"""The reports domain's Definitions: the report files, the daily analytics and weekly report
jobs with their schedules, and the daily dashboard e-mails."""

import dagster as dg

from orchestration.environment import OrchestrationEnvironment
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


def reports_definitions(environment: OrchestrationEnvironment) -> dg.Definitions:
    return dg.Definitions(
        assets=[daily_sales_report, weekly_sales_summary],
        jobs=[daily_analytics_job, weekly_report_job, daily_dashboard_reports_job],
        schedules=[
            *build_report_schedules(environment),
            *build_dashboard_report_schedules(environment),
        ],
        resources={
            "dashboard_reports": DashboardReportsResource.from_settings(environment.settings)
        },
    )
