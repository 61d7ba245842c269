"""The raw-data and freshness sensors, evaluated against a real lake and a real Dagster instance."""

from __future__ import annotations

from datetime import date

import dagster as dg

from acme.settings import Settings
from orchestration.definitions import build_definitions
from orchestration.raw.assets import RAW_EVENTS_KEY
from tests.orchestration.conftest import HttpReceiver, SmtpReceiver, write_raw_days


def test_new_raw_commits_request_one_observation_each(orchestration_settings: Settings) -> None:
    defs = build_definitions(orchestration_settings)
    sensor = defs.resolve_sensor_def("new_raw_data")
    lake = orchestration_settings.lake_root
    with dg.instance_for_test() as instance:
        empty = dg.build_sensor_context(instance=instance, resources=defs.resources)
        assert isinstance(sensor(empty), dg.SkipReason)  # type: ignore[operator]

        write_raw_days(lake, [date(2026, 3, 2)], per_day=8)
        first = sensor(dg.build_sensor_context(instance=instance, resources=defs.resources))  # type: ignore[operator]
        assert [request.run_key for request in first.run_requests] == ["raw-events-v1"]

        unchanged = dg.build_sensor_context(
            instance=instance, cursor=first.cursor, resources=defs.resources
        )
        assert isinstance(sensor(unchanged), dg.SkipReason)  # type: ignore[operator]

        write_raw_days(lake, [date(2026, 3, 3)], per_day=8)
        moved = dg.build_sensor_context(
            instance=instance, cursor=first.cursor, resources=defs.resources
        )
        assert [r.run_key for r in sensor(moved).run_requests] == ["raw-events-v2"]  # type: ignore[operator]


def test_a_failed_freshness_check_alerts_once(
    orchestration_settings: Settings, smtp_receiver: SmtpReceiver, http_receiver: HttpReceiver
) -> None:
    defs = build_definitions(orchestration_settings)
    freshness = dg.AssetCheckKey(RAW_EVENTS_KEY, "freshness_check")
    checks_only = dg.define_asset_job(
        "freshness_only", selection=dg.AssetSelection.checks(freshness)
    )
    job = dg.Definitions.merge(defs, dg.Definitions(jobs=[checks_only])).resolve_job_def(
        checks_only.name
    )
    sensor = defs.resolve_sensor_def("alert_on_freshness_breach")
    with dg.instance_for_test() as instance:
        # The raw events were never observed: the real freshness check fails (WARN).
        result = job.execute_in_process(instance=instance)
        [evaluation] = result.get_asset_check_evaluations()
        assert not evaluation.passed

        first = dg.build_sensor_context(instance=instance, resources=defs.resources)
        sensor(first)  # type: ignore[operator]
        again = dg.build_sensor_context(
            instance=instance, cursor=first.cursor, resources=defs.resources
        )
        sensor(again)  # type: ignore[operator]

    [post] = http_receiver.posts
    assert post["title"] == "Data is late: raw/events:freshness_check"
    assert post["severity"] == "warning"
    assert smtp_receiver.messages[0]["Subject"].startswith("[WARNING] Data is late")
    assert len(smtp_receiver.messages) == 1
