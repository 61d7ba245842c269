"""Maintenance of the ingest tables, as plain functions Dagster schedules and `acme lake` runs.

- `compact`: merge the small files frequent micro-batch commits leave (Delta OPTIMIZE). It rewrites
  data without changing it (`dataChange=false`), so downstream readers and the ingester's app
  transactions are unaffected and it may run while the ingester appends.
- `vacuum`: delete files no longer referenced, older than a retention that protects readers still
  on an older snapshot.
- `expire`: drop rows past a retention period (dead letters and live metrics; the raw store is
  the event-sourcing log and is kept unless a retention is asked for explicitly).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from deltalake import DeltaTable

from ingest.tables import DEAD_LETTERS, LIVE_MINUTE_METRICS, RAW_EVENTS, TableSpec
from ingest.writer import open_or_create

log = logging.getLogger(__name__)

TABLES: Final[dict[str, TableSpec]] = {
    "raw": RAW_EVENTS,
    "dead_letters": DEAD_LETTERS,
    "live": LIVE_MINUTE_METRICS,
}
_TIME_COLUMN: Final = {"raw": "event_date", "dead_letters": "received_at", "live": "minute"}
DEFAULT_VACUUM_RETENTION_HOURS: Final = 168
TARGET_FILE_BYTES: Final = 128 * 1024 * 1024


def _table(lake_root: Path, name: str) -> DeltaTable:
    if name not in TABLES:
        raise ValueError(f"unknown ingest table {name!r}; known: {', '.join(TABLES)}")
    spec = TABLES[name]
    return open_or_create(spec.path(lake_root), spec)


def compact(lake_root: Path, name: str) -> dict[str, Any]:
    """Bin-pack small files of one table into files of about `TARGET_FILE_BYTES`; returns
    delta-rs's metrics (files added and removed, ...)."""
    metrics: dict[str, Any] = _table(lake_root, name).optimize.compact(
        target_size=TARGET_FILE_BYTES
    )
    log.info("compacted", extra={"table": name, "metrics": metrics})
    return metrics


def vacuum(
    lake_root: Path, name: str, *, retention_hours: int = DEFAULT_VACUUM_RETENTION_HOURS
) -> list[str]:
    """Delete unreferenced files removed more than `retention_hours` ago; returns their paths."""
    deleted: list[str] = _table(lake_root, name).vacuum(
        retention_hours=retention_hours, enforce_retention_duration=False, dry_run=False
    )
    log.info("vacuumed", extra={"table": name, "deleted_files": len(deleted)})
    return deleted


def expire(lake_root: Path, name: str, *, keep_days: int) -> int:
    """Delete rows older than `keep_days` (by event date, receipt time or minute); returns the
    number of rows deleted. Their files disappear at the next `vacuum`."""
    if keep_days < 1:
        raise ValueError("keep_days must be at least 1")
    cutoff = datetime.now(UTC) - timedelta(days=keep_days)
    column = _TIME_COLUMN[name]
    literal = (
        f"'{cutoff.date().isoformat()}'"
        if column == "event_date"
        else f"'{cutoff.strftime('%Y-%m-%dT%H:%M:%S')}Z'"
    )
    result = _table(lake_root, name).delete(f"{column} < {literal}")
    deleted = int(result.get("num_deleted_rows", 0))
    log.info("expired", extra={"table": name, "cutoff": cutoff.isoformat(), "rows": deleted})
    return deleted
