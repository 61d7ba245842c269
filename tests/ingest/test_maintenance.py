"""Compaction, vacuum and retention keep the data and the ingester's positions intact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from deltalake import DeltaTable

from acme.contracts import validate
from acme.settings import Settings
from ingest import maintenance, offsets
from ingest.dead_letters import DeadLetterRows
from ingest.tables import DEAD_LETTERS, RAW_EVENTS
from ingest.transform import RawRows
from ingest.writer import DeltaAppender
from tests.ingest.ingest_factories import BASE_TIME, page_viewed
from tests.ingest.ingest_helpers import invoke


def _append_small_batches(lake: Path, batches: int) -> DeltaAppender:
    appender = DeltaAppender(RAW_EVENTS.path(lake), RAW_EVENTS)
    for batch in range(batches):
        rows = RawRows()
        events = [
            validate(page_viewed(f"00000000-0000-4000-8000-{batch:06d}{i:06d}", at=BASE_TIME))
            for i in range(10)
        ]
        rows.extend("acme.storefront", 0, events, [batch * 10 + i for i in range(10)])
        appender.append(
            rows.to_arrow(),
            offsets.transactions("raw", {("acme.storefront", 0): batch * 10 + 10}),
        )
    return appender


def test_an_empty_append_still_records_the_position(lake_root: Path) -> None:
    appender = _append_small_batches(lake_root, 1)
    appender.append(RawRows().to_arrow(), {"acme-ingest/raw/acme.storefront/0": 25})
    assert (
        DeltaTable(str(appender.path)).transaction_version("acme-ingest/raw/acme.storefront/0")
        == 25
    )
    assert DeltaTable(str(appender.path)).to_pyarrow_dataset().count_rows() == 10


def test_compaction_merges_files_and_keeps_rows_and_positions(lake_root: Path) -> None:
    appender = _append_small_batches(lake_root, 8)
    before = DeltaTable(str(appender.path))
    assert len(before.file_uris()) == 8

    metrics = maintenance.compact(lake_root, "raw")

    after = DeltaTable(str(appender.path))
    assert metrics["numFilesRemoved"] == 8
    assert len(after.file_uris()) == 1
    assert sorted(after.to_pyarrow_table()["offset"].to_pylist()) == list(range(80))
    positions = offsets.stored_positions(
        DeltaAppender(appender.path, RAW_EVENTS), "raw", [("acme.storefront", 0)]
    )
    assert positions == {("acme.storefront", 0): 80}
    assert len(maintenance.vacuum(lake_root, "raw", retention_hours=0)) == 8


def test_retention_drops_old_dead_letters_only(lake_root: Path) -> None:
    appender = DeltaAppender(DEAD_LETTERS.path(lake_root), DEAD_LETTERS)
    rows = DeadLetterRows()
    for age_days in (1, 40):
        rows.add(
            topic="t",
            partition=0,
            offset=age_days,
            key=None,
            raw=b"x",
            reason="not_json",
            detail="",
            received_at=datetime.now(UTC) - timedelta(days=age_days),
        )
    appender.append(rows.to_arrow(), {})
    assert maintenance.expire(lake_root, "dead_letters", keep_days=30) == 1
    assert DeltaTable(str(appender.path)).to_pyarrow_table()["offset"].to_pylist() == [1]


def test_lake_commands_run_on_the_configured_lake(lake_root: Path) -> None:
    settings = Settings(lake_root=lake_root, _env_file=None)  # type: ignore[call-arg]
    _append_small_batches(settings.lake_root, 3)
    result = invoke(settings, "lake", "compact", "--table", "raw")
    assert result.exit_code == 0, result.output
    assert "'numFilesRemoved': 3" in result.output
    result = invoke(settings, "lake", "vacuum", "--table", "raw", "--retention-hours", "0")
    assert result.exit_code == 0, result.output
    assert "raw: deleted 3 files" in result.output
