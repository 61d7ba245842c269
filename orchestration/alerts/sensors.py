"""Sensors that turn operational trouble into alerts: failed runs and failed freshness checks."""

from __future__ import annotations

import json
from collections.abc import Sequence

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from orchestration.alerts.channels import Alert, Severity
from orchestration.alerts.resources import AlertsResource
from orchestration.environment import OrchestrationEnvironment


def build_run_failure_alert_sensor(environment: OrchestrationEnvironment) -> dg.SensorDefinition:
    """Alert on every failed run of this code location, with the error that failed it."""

    @dg.run_failure_sensor(
        name="alert_on_run_failure",
        description="Sends an alert through every alert channel when a run fails.",
        default_status=environment.default_sensor_status,
    )
    def alert_on_run_failure(context: dg.RunFailureSensorContext, alerts: AlertsResource) -> None:
        run = context.dagster_run
        error = context.failure_event.message or "no error message"
        alerts.send(
            Alert(
                title=f"Dagster run failed: {run.job_name}",
                body=error,
                severity=Severity.CRITICAL,
                details={
                    "run_id": run.run_id,
                    "job": run.job_name,
                    "dagster_home": str(environment.dagster_home),
                },
            )
        )

    return alert_on_run_failure


def build_freshness_breach_sensor(
    environment: OrchestrationEnvironment, freshness_checks: Sequence[dg.AssetChecksDefinition]
) -> dg.SensorDefinition:
    """Alert once per failed evaluation of a freshness check (the freshness-check sensor runs the
    checks; this one tells people when data is late)."""
    check_keys = [key for checks in freshness_checks for key in checks.check_keys]

    @dg.sensor(
        name="alert_on_freshness_breach",
        description="Alerts when a freshness check fails: data is later than its SLA.",
        minimum_interval_seconds=60,
        default_status=environment.default_sensor_status,
    )
    def alert_on_freshness_breach(
        context: dg.SensorEvaluationContext, alerts: AlertsResource
    ) -> dg.SkipReason:
        alerted: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
        latest = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(
            check_keys
        )
        breaches = []
        for key, record in latest.items():
            if record.status is not AssetCheckExecutionRecordStatus.FAILED:
                continue
            if alerted.get(key.to_user_string(), -1) >= record.id:
                continue
            breaches.append(key)
            alerted[key.to_user_string()] = record.id
        if breaches:
            names = ", ".join(sorted(key.to_user_string() for key in breaches))
            evaluations = [latest[key].event for key in breaches]
            severity = (
                Severity.CRITICAL
                if any(
                    e is not None
                    and e.dagster_event is not None
                    and e.dagster_event.event_specific_data.severity is dg.AssetCheckSeverity.ERROR  # type: ignore[union-attr]
                    for e in evaluations
                )
                else Severity.WARNING
            )
            alerts.send(
                Alert(
                    title=f"Data is late: {names}",
                    body="These freshness checks failed: the assets were not updated within "
                    "their allowed lag.",
                    severity=severity,
                    details={"checks": names},
                )
            )
        context.update_cursor(json.dumps(alerted))
        return dg.SkipReason(f"{len(breaches)} new freshness breach(es) alerted")

    return alert_on_freshness_breach
