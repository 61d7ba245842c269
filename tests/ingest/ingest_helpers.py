"""Test helpers: produce to the real broker, run the ingester, read the lake back."""

from __future__ import annotations

import threading
from collections.abc import Iterable

import pyarrow as pa
from deltalake import DeltaTable
from kafka import KafkaProducer

from acme.kafka.client import client_options
from acme.kafka.topics import ensure_topics, topic_for
from acme.settings import Settings
from ingest.ingester import FlushPolicy, Ingester, IngestSummary
from ingest.tables import DEAD_LETTERS, LIVE_MINUTE_METRICS, RAW_EVENTS, TableSpec


def produce(settings: Settings, messages: Iterable[tuple[str, bytes | None, bytes]]) -> int:
    """Send (context, key, value) messages and wait until the broker has them all."""
    ensure_topics(settings)
    producer = KafkaProducer(**client_options(settings), acks="all", linger_ms=5)
    count = 0
    for context, key, value in messages:
        producer.send(topic_for(context, settings), key=key, value=value)
        count += 1
    producer.flush()
    producer.close()
    return count


def ingest_until_idle(settings: Settings, policy: FlushPolicy | None = None) -> IngestSummary:
    """Run the ingester in this process until it has written everything on the broker."""
    ingester = Ingester(settings, policy or FlushPolicy(max_latency_s=0.5))
    return ingester.run(threading.Event(), until_idle=True)


def read(settings: Settings, spec: TableSpec) -> pa.Table:
    return DeltaTable(str(spec.path(settings.lake_root))).to_pyarrow_table()


def raw(settings: Settings) -> pa.Table:
    return read(settings, RAW_EVENTS)


def dead_letters(settings: Settings) -> pa.Table:
    return read(settings, DEAD_LETTERS)


def live(settings: Settings) -> pa.Table:
    return read(settings, LIVE_MINUTE_METRICS)
