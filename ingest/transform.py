"""Turning Kafka record values into raw-event rows: validate against the event contracts, keep
the typed envelope, the payload as JSON text and the record's lineage.

Columns are accumulated as Python lists and converted to Arrow once per micro-batch: per-event
work is the contract check plus a handful of list appends, which keeps the hot path cheap.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from acme.contracts import ValidatedEvent
from ingest.tables import RAW_EVENTS_SCHEMA

STREAM = "raw"
"""Name of this output in app-transaction ids (see `ingest.offsets.app_id`)."""


class RawRows:
    """Raw-event rows of one micro-batch, accumulated column by column."""

    def __init__(self) -> None:
        self.event_id: list[str] = []
        self.event_type: list[str] = []
        self.schema_version: list[int] = []
        self.event_time: list[datetime] = []
        self.source_service: list[str] = []
        self.correlation_id: list[str] = []
        self.causation_id: list[str | None] = []
        self.payload: list[bytes] = []
        self.topic: list[str] = []
        self.partition: list[int] = []
        self.offset: list[int] = []
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self.offset)

    def add(self, event: ValidatedEvent, topic: str, partition: int, offset: int) -> None:
        payload = event.payload_json  # the producer's exact bytes: nothing re-encoded
        self.event_id.append(event.event_id)
        self.event_type.append(event.event_type)
        self.schema_version.append(event.schema_version)
        self.event_time.append(event.event_time)
        self.source_service.append(event.source_service)
        self.correlation_id.append(event.correlation_id)
        self.causation_id.append(event.causation_id)
        self.payload.append(payload)
        self.topic.append(topic)
        self.partition.append(partition)
        self.offset.append(offset)
        self.nbytes += len(payload) + 200

    def to_arrow(self, ingested_at: datetime) -> pa.Table:
        """The rows as an Arrow table in the raw-events schema; `ingested_at` is the flush time."""
        event_time = pa.array(self.event_time, type=pa.timestamp("us", tz="UTC"))
        n = len(self)
        columns = {
            "event_id": pa.array(self.event_id, pa.string()),
            "event_type": pa.array(self.event_type, pa.string()),
            "schema_version": pa.array(self.schema_version, pa.int32()),
            "event_time": event_time,
            # A UTC timestamp's date: cast via the UTC wall clock, not the machine's time zone.
            "event_date": event_time.cast(pa.timestamp("us")).cast(pa.date32()),
            "source_service": pa.array(self.source_service, pa.string()),
            "correlation_id": pa.array(self.correlation_id, pa.string()),
            "causation_id": pa.array(self.causation_id, pa.string()),
            "payload": pa.array(self.payload, pa.binary()).cast(pa.string()),
            "topic": pa.array(self.topic, pa.string()),
            "partition": pa.array(self.partition, pa.int32()),
            "offset": pa.array(self.offset, pa.int64()),
            "ingested_at": pa.array([ingested_at] * n, pa.timestamp("us", tz="UTC")),
        }
        return pa.Table.from_pydict(columns, schema=RAW_EVENTS_SCHEMA)
