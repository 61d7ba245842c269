"""Alerts reach a real SMTP server and a real HTTP endpoint, from the resource and the sensors."""

from __future__ import annotations

import dagster as dg
import pytest

from acme.settings import Settings
from orchestration.alerts.channels import Alert, Severity
from orchestration.alerts.resources import AlertDeliveryError, AlertsResource
from orchestration.definitions import build_definitions
from tests.orchestration.conftest import HttpReceiver, SmtpReceiver, write_dead_letters


def test_an_alert_arrives_by_email_and_webhook(
    orchestration_settings: Settings, smtp_receiver: SmtpReceiver, http_receiver: HttpReceiver
) -> None:
    alerts = AlertsResource.from_settings(orchestration_settings)

    delivered = alerts.send(
        Alert(title="Revenue anomaly", body="Revenue fell 80%", details={"day": "2026-01-05"})
    )

    assert delivered == ["email", "webhook"]
    [mail] = smtp_receiver.messages
    assert mail["Subject"] == "[CRITICAL] Revenue anomaly"
    assert mail["To"] == "oncall@acme.test, data@acme.test"
    assert "day: 2026-01-05" in mail.get_payload()
    [post] = http_receiver.posts
    assert post["title"] == "Revenue anomaly"
    assert post["severity"] == Severity.CRITICAL
    assert post["details"] == {"day": "2026-01-05"}


def test_a_dead_channel_is_reported_and_does_not_silence_the_others(
    orchestration_settings: Settings, http_receiver: HttpReceiver
) -> None:
    from tests.conftest import free_port

    broken = orchestration_settings.model_copy(update={"alert_smtp_port": free_port()})
    alerts = AlertsResource.from_settings(broken)

    with pytest.raises(AlertDeliveryError, match="email"):
        alerts.send(Alert(title="still delivered by webhook", body="..."))

    assert [post["title"] for post in http_receiver.posts] == ["still delivered by webhook"]


def test_a_failed_run_alerts_through_every_channel(
    orchestration_settings: Settings, smtp_receiver: SmtpReceiver, http_receiver: HttpReceiver
) -> None:
    @dg.op
    def explode() -> None:
        raise RuntimeError("the warehouse file is locked")

    @dg.job
    def doomed() -> None:
        explode()

    defs = build_definitions(orchestration_settings)
    sensor = defs.resolve_sensor_def("alert_on_run_failure")
    with dg.instance_for_test() as instance:
        result = doomed.execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            dagster_event=failure,
            resources={"alerts": AlertsResource.from_settings(orchestration_settings)},
        ).for_run_failure()
        sensor(context)  # type: ignore[operator]

    [mail] = smtp_receiver.messages
    assert mail["Subject"] == "[CRITICAL] Dagster run failed: doomed"
    [post] = http_receiver.posts
    assert post["details"]["run_id"] == result.run_id
    assert "explode" in post["body"]


def test_a_dead_letter_spike_alerts_once(
    orchestration_settings: Settings, smtp_receiver: SmtpReceiver, http_receiver: HttpReceiver
) -> None:
    defs = build_definitions(orchestration_settings)
    sensor = defs.resolve_sensor_def("dead_letter_spike")
    lake = orchestration_settings.lake_root
    write_dead_letters(lake, 2)
    resources = defs.resources

    with dg.instance_for_test() as instance:
        first = dg.build_sensor_context(instance=instance, resources=resources)
        sensor(first)  # type: ignore[operator]  # establishes the baseline: 2 dead letters
        write_dead_letters(lake, 3)  # below the threshold of 5
        quiet = dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=resources)
        sensor(quiet)  # type: ignore[operator]
        assert http_receiver.posts == []
        write_dead_letters(lake, 40)  # a spike
        spike = dg.build_sensor_context(instance=instance, cursor=quiet.cursor, resources=resources)
        sensor(spike)  # type: ignore[operator]

    [post] = http_receiver.posts
    assert post["title"] == "Dead-letter spike: 40 rejected events"
    assert post["details"] == {"new_dead_letters": 40, "total_dead_letters": 45}
    assert len(smtp_receiver.messages) == 1
