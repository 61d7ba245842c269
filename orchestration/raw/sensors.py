"""Sensors on the raw lake: new commits trigger an observation; dead-letter spikes alert."""

from __future__ import annotations

import dagster as dg

from ingest.tables import DEAD_LETTERS, RAW_EVENTS
from orchestration.alerts.channels import Alert, Severity
from orchestration.alerts.resources import AlertsResource
from orchestration.environment import OrchestrationEnvironment
from orchestration.raw.assets import DEAD_LETTERS_KEY, RAW_EVENTS_KEY
from orchestration.raw.delta import RawTableMissingError, open_table, row_count
from orchestration.resources import LakehouseResource

observe_raw_job = dg.define_asset_job(
    name="observe_raw",
    description="Observe the raw Delta tables (new data versions) and run their blocking checks.",
    selection=dg.AssetSelection.assets(RAW_EVENTS_KEY, DEAD_LETTERS_KEY)
    | dg.AssetSelection.checks_for_assets(RAW_EVENTS_KEY),
)


def build_raw_sensors(
    environment: OrchestrationEnvironment,
) -> list[dg.SensorDefinition]:
    """The new-raw-data sensor and the dead-letter spike sensor."""

    @dg.sensor(
        name="new_raw_data",
        job=observe_raw_job,
        minimum_interval_seconds=120,
        default_status=environment.default_sensor_status,
        description="Requests an observation of the raw tables when the ingester committed a new "
        "Delta version; declarative automation then rebuilds what depends on them.",
    )
    def new_raw_data(
        context: dg.SensorEvaluationContext, lakehouse: LakehouseResource
    ) -> dg.SensorResult | dg.SkipReason:
        try:
            version = open_table(RAW_EVENTS.path(lakehouse.lake)).version()
        except RawTableMissingError as error:
            return dg.SkipReason(str(error))
        if context.cursor is not None and int(context.cursor) >= version:
            return dg.SkipReason(f"raw events still at Delta version {version}")
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f"raw-events-v{version}")],
            cursor=str(version),
        )

    @dg.sensor(
        name="dead_letter_spike",
        minimum_interval_seconds=60,
        default_status=environment.default_sensor_status,
        description="Alerts when more dead letters arrived since the last tick than "
        "ACME_ALERT_DEAD_LETTER_THRESHOLD allows.",
    )
    def dead_letter_spike(
        context: dg.SensorEvaluationContext,
        lakehouse: LakehouseResource,
        alerts: AlertsResource,
    ) -> dg.SkipReason:
        try:
            total = row_count(open_table(DEAD_LETTERS.path(lakehouse.lake)))
        except RawTableMissingError as error:
            return dg.SkipReason(str(error))
        # Retention may delete old dead letters: a shrinking table restarts the count.
        previous = int(context.cursor) if context.cursor else total
        new = total - previous if total >= previous else total
        context.update_cursor(str(total))
        threshold = alerts.dead_letter_threshold
        if new <= threshold:
            return dg.SkipReason(f"{new} new dead letters (threshold {threshold})")
        alerts.send(
            Alert(
                title=f"Dead-letter spike: {new} rejected events",
                body=f"{new} Kafka records were dead-lettered since the last check (threshold "
                f"{threshold}). Inspect {DEAD_LETTERS.path(lakehouse.lake)} by reason.",
                severity=Severity.CRITICAL,
                details={"new_dead_letters": new, "total_dead_letters": total},
            )
        )
        return dg.SkipReason(f"alerted: {new} new dead letters")

    return [new_raw_data, dead_letter_spike]
