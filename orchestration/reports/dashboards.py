"""Scheduled dashboard reports by e-mail: Dagster runs Superset's `acme-superset report`.

The command lives in Superset's own environment (`superset/.venv`), so it runs as a subprocess.
It renders the dashboard to PDF, exports every chart as CSV and Excel, e-mails them through the
alerts' SMTP relay and appends the attempt to `<lake root>/reports/history.jsonl`; Dagster's run
history keeps each run next to the builds that fed it, and a failed delivery fails the run, which
the run-failure sensor alerts on (docs/decisions/superset-reports.md). Each delivery is keyed by
the run's root run, so a retry (of the op, or a re-execution of the run) sends only the reports
that did not go out.
"""

import json
import os
import subprocess
from typing import Any, Final

import dagster as dg

from acme.settings import REPO_ROOT, Settings
from orchestration.alerts.resources import AlertsResource
from orchestration.environment import OrchestrationEnvironment

REPORT_COMMAND: Final = REPO_ROOT / "superset" / ".venv" / "bin" / "acme-superset"
# The dashboards e-mailed every morning, by slug.
DAILY_DASHBOARDS: Final = ("sales-revenue", "operations")


class DashboardReportsResource(dg.ConfigurableResource):  # type: ignore[type-arg]
    """Where reports come from (Superset; the lake keeps their history) and whom they go to, from
    the settings (`ACME_SUPERSET_URL`, `ACME_REPORT_EMAIL_TO`); they travel through the alerts'
    SMTP relay."""

    superset_url: str
    email_to: list[str]
    lake_root: str
    environment: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "DashboardReportsResource":
        """The resource for these settings."""
        return cls(
            superset_url=settings.superset_url,
            email_to=settings.report_recipients,
            lake_root=str(settings.lake_root),
            environment=settings.environment.value,
        )

    def deliver(self, slug: str, relay: AlertsResource, delivery_key: str) -> dict[str, Any]:
        """E-mail one dashboard's report through `relay`'s SMTP server unless it was sent under
        `delivery_key` before; the command's record of the delivery (status "sent" or
        "already_sent"). Raises `dg.Failure` with the command's error when it was not sent (the
        history says so too)."""
        variables = {
            "ACME_ENVIRONMENT": self.environment,
            "ACME_LAKE_ROOT": self.lake_root,
            "ACME_ALERT_SMTP_HOST": relay.smtp_host or "",
            "ACME_ALERT_SMTP_PORT": str(relay.smtp_port),
            "ACME_ALERT_SMTP_STARTTLS": str(relay.smtp_starttls).lower(),
            "ACME_ALERT_SMTP_USERNAME": relay.smtp_username or "",
            "ACME_ALERT_SMTP_PASSWORD": relay.smtp_password or "",
            "ACME_ALERT_EMAIL_FROM": relay.email_from,
        }
        result = subprocess.run(
            [str(REPORT_COMMAND), "report", "--url", self.superset_url, "--dashboard", slug,
             "--to", ",".join(self.email_to), "--delivery-key", delivery_key],
            env={**os.environ, **variables}, capture_output=True, text=True, timeout=900,
            check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise dg.Failure(
                description=f"the {slug} report was not sent", metadata={"error": result.stderr}
            )
        delivery: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        return delivery


@dg.op(description="E-mails each daily dashboard as PDF with its charts as CSV and Excel.")
def email_daily_dashboards(
    context: dg.OpExecutionContext,
    dashboard_reports: DashboardReportsResource,
    alerts: AlertsResource,
) -> None:
    # A re-execution of a failed run is a new run with the same root: it must not mail again.
    delivery_key = f"dagster-run:{context.run.root_run_id or context.run_id}"
    for slug in DAILY_DASHBOARDS:
        delivery = dashboard_reports.deliver(slug, alerts, delivery_key)
        recipients = ", ".join(delivery["recipients"])
        if delivery["status"] == "already_sent":
            context.log.info(
                f"the {slug} report went to {recipients} at "
                f"{delivery['delivered_at']} under this run; not sent again"
            )
        else:
            context.log.info(f"sent the {slug} report to {recipients}")


@dg.job(description="The daily dashboard reports by e-mail (Superset's PDF, CSV and Excel).")
def daily_dashboard_reports_job() -> None:
    email_daily_dashboards()


def build_dashboard_report_schedules(
    environment: OrchestrationEnvironment,
) -> list[dg.ScheduleDefinition]:
    """Every morning at 07:00 UTC, once the night's maintenance and analytics are done; only when
    `ACME_REPORT_EMAIL_TO` names recipients."""
    if not environment.settings.report_recipients:
        return []
    return [environment.utc_schedule(daily_dashboard_reports_job, "0 7 * * *")]
