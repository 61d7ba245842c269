"""Maintenance assets on a real Delta lake: compaction merges commits' files, retention drops old
dead letters, vacuum deletes what they left behind; the data read back is unchanged."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pyarrow as pa
from deltalake import DeltaTable

from acme.settings import Settings
from ingest.tables import DEAD_LETTERS, RAW_EVENTS
from ingest.writer import DeltaAppender
from orchestration.definitions import build_definitions
from orchestration.maintenance.assets import RETENTION_KEY
from tests.orchestration.conftest import write_raw_days


def old_dead_letter(days_ago: int) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "topic": "acme.orders",
                "partition": 0,
                "offset": days_ago,
                "key": None,
                "raw": b"{",
                "reason": "malformed_json",
                "detail": "x",
                "received_at": datetime.now(UTC) - timedelta(days=days_ago),
            }
        ],
        schema=DEAD_LETTERS.schema,
    )


def test_weekly_maintenance_compacts_expires_and_vacuums(
    orchestration_settings: Settings,
) -> None:
    lake = orchestration_settings.lake_root
    for day in range(4):  # four commits into one partition of one service
        write_raw_days(lake, [date(2026, 3, 2)], per_day=4 + day)
    dead = DeltaAppender(DEAD_LETTERS.path(lake), DEAD_LETTERS)
    dead.append(old_dead_letter(days_ago=200), {})
    dead.append(old_dead_letter(days_ago=1), {})
    raw_before = DeltaTable(str(RAW_EVENTS.path(lake))).to_pandas().sort_values("event_id")
    files_before = len(DeltaTable(str(RAW_EVENTS.path(lake))).file_uris())

    defs = build_definitions(orchestration_settings)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("weekly_maintenance").execute_in_process(instance=instance)

    assert result.success
    raw_after = DeltaTable(str(RAW_EVENTS.path(lake))).to_pandas().sort_values("event_id")
    assert raw_after.reset_index(drop=True).equals(raw_before.reset_index(drop=True))
    assert len(DeltaTable(str(RAW_EVENTS.path(lake))).file_uris()) < files_before
    remaining = DeltaTable(str(DEAD_LETTERS.path(lake))).to_pandas()
    assert list(remaining["offset"]) == [1]
    retention = next(
        e for e in result.get_asset_materialization_events() if e.asset_key == RETENTION_KEY
    )
    assert retention.materialization.metadata["dead_letters_rows_deleted"].value == 1
