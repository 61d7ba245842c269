"""Several writers of the raw table: `ingested_at` order is commit order, so a reader's high-water
mark never passes rows that commit later."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

from acme.contracts import validate
from ingest.tables import RAW_EVENTS
from ingest.transform import RawRows
from ingest.writer import DeltaAppender
from tests.ingest.ingest_factories import BASE_TIME, page_viewed

COMMITS_PER_WRITER = 15


def _write(lake: str, writer: int) -> None:
    """One process appending one row per commit, as fast as it can."""
    appender = DeltaAppender(RAW_EVENTS.path(Path(lake)), RAW_EVENTS)
    for commit in range(COMMITS_PER_WRITER):
        rows = RawRows()
        event_id = f"00000000-0000-4000-8000-{writer:06d}{commit:06d}"
        rows.extend(
            "acme.storefront", writer, [validate(page_viewed(event_id, at=BASE_TIME))], [commit]
        )
        appender.append(rows.to_arrow(), {f"writer-{writer}": commit + 1})


def test_concurrent_writers_commit_in_ingested_at_order(lake_root: Path) -> None:
    DeltaAppender(RAW_EVENTS.path(lake_root), RAW_EVENTS)  # created once, before the race
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write, args=(str(lake_root), w)) for w in range(3)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=120)
        assert process.exitcode == 0
    path = str(RAW_EVENTS.path(lake_root))
    seen: set[str] = set()
    newest_before = None
    for version in range(1, DeltaTable(path).version() + 1):
        rows = DeltaTable(path, version=version).to_pyarrow_table(
            columns=["event_id", "ingested_at"]
        )
        added = rows.filter(
            pc.invert(pc.is_in(rows["event_id"], pa.array(sorted(seen), pa.string())))
        )
        assert added.num_rows == 1  # one row per commit
        stamp = added["ingested_at"][0].as_py()
        assert newest_before is None or stamp >= newest_before, f"version {version} went back"
        newest_before = max(rows["ingested_at"].to_pylist())
        seen |= set(added["event_id"].to_pylist())
    assert len(seen) == 3 * COMMITS_PER_WRITER
