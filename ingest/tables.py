"""The lake layout contract: where each ingest table lives and its exact Arrow schema.

dbt, Dagster and Superset read these tables by path; changing a name or a type here is a breaking
change for them (docs/decisions/raw-event-store.md, docs/decisions/live-metrics.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow as pa

from acme.lake_layout import LAKE_PATHS

UTC_MICROS: Final = pa.timestamp("us", tz="UTC")

RAW_EVENTS_SCHEMA: Final = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("event_type", pa.string(), nullable=False),
        pa.field("schema_version", pa.int32(), nullable=False),
        pa.field("event_time", UTC_MICROS, nullable=False),
        pa.field("event_date", pa.date32(), nullable=False),
        pa.field("source_service", pa.string(), nullable=False),
        pa.field("correlation_id", pa.string(), nullable=False),
        pa.field("causation_id", pa.string(), nullable=True),
        pa.field("payload", pa.string(), nullable=False),
        pa.field("topic", pa.string(), nullable=False),
        pa.field("partition", pa.int32(), nullable=False),
        pa.field("offset", pa.int64(), nullable=False),
        pa.field("ingested_at", UTC_MICROS, nullable=False),
    ]
)

DEAD_LETTERS_SCHEMA: Final = pa.schema(
    [
        pa.field("topic", pa.string(), nullable=False),
        pa.field("partition", pa.int32(), nullable=False),
        pa.field("offset", pa.int64(), nullable=False),
        pa.field("key", pa.binary(), nullable=True),
        pa.field("raw", pa.binary(), nullable=True),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("detail", pa.string(), nullable=False),
        pa.field("received_at", UTC_MICROS, nullable=False),
    ]
)


@dataclass(frozen=True)
class TableSpec:
    """A Delta table of the lake: its path below the lake root, schema and partition columns, and
    optionally a commit-stamp column: a UTC timestamp the writer sets at commit time, under a lock
    that every writer of the table takes, so that stamp order is commit order across writers
    (incremental readers take the newest stamp as a high-water mark, raw-event-store.md)."""

    relative_path: str
    schema: pa.Schema
    partition_by: tuple[str, ...]
    commit_stamp: str | None = None

    def path(self, lake_root: Path) -> Path:
        return lake_root / self.relative_path

    @property
    def appended_schema(self) -> pa.Schema:
        """The schema of rows handed to `DeltaAppender.append`: all columns but the stamp."""
        return pa.schema([field for field in self.schema if field.name != self.commit_stamp])


RAW_EVENTS: Final = TableSpec(
    LAKE_PATHS["raw_events"],
    RAW_EVENTS_SCHEMA,
    ("source_service", "event_date"),
    commit_stamp="ingested_at",
)
DEAD_LETTERS: Final = TableSpec(LAKE_PATHS["dead_letters"], DEAD_LETTERS_SCHEMA, ())

LIVE_MINUTE_METRICS_SCHEMA: Final = pa.schema(
    [
        pa.field("minute", UTC_MICROS, nullable=False),
        pa.field("region", pa.string(), nullable=True),
        pa.field("channel", pa.string(), nullable=True),
        pa.field("payment_provider", pa.string(), nullable=True),
        pa.field("currency", pa.string(), nullable=True),
        pa.field("session_id", pa.string(), nullable=True),
        pa.field("orders_placed", pa.int64(), nullable=False),
        pa.field("revenue_amount", pa.decimal128(18, 2), nullable=False),
        pa.field("payment_successes", pa.int64(), nullable=False),
        pa.field("payment_failures", pa.int64(), nullable=False),
        pa.field("flushed_at", UTC_MICROS, nullable=False),
    ]
)
LIVE_MINUTE_METRICS: Final = TableSpec(LAKE_PATHS["live_metrics"], LIVE_MINUTE_METRICS_SCHEMA, ())
