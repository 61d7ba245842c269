"""Test helpers: produce to the real broker, run the ingester, read the lake back."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pyarrow as pa
from click.testing import CliRunner, Result
from deltalake import DeltaTable
from kafka import KafkaProducer

from acme.cli import main
from acme.kafka.client import client_options
from acme.kafka.topics import ensure_topics, topic_for
from acme.settings import Settings, get_settings
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


def ingest_env(settings: Settings, **overrides: str) -> dict[str, str]:
    """Environment for an `acme ingest` subprocess pointing at the test broker and lake."""
    env = dict(os.environ)
    env.update(
        {
            "ACME_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "ACME_KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
            "ACME_LAKE_ROOT": str(settings.lake_root),
            "ACME_INGEST_METRICS_PORT": "0",
            **{f"ACME_{k.upper()}": v for k, v in overrides.items()},
        }
    )
    return env


def start_ingest(settings: Settings, *args: str, **overrides: str) -> subprocess.Popen[bytes]:
    """`acme ingest` as a separate process, its JSON logs captured for failure reports."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "acme"), "ingest", *args],
        env=ingest_env(settings, **overrides),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def raw_count(settings: Settings) -> int:
    path = RAW_EVENTS.path(settings.lake_root)
    if not DeltaTable.is_deltatable(str(path)):
        return 0
    return int(DeltaTable(str(path)).to_pyarrow_dataset().count_rows())


def invoke(settings: Settings, *args: str) -> Result:
    """Run an `acme` command in-process against `settings` (the CLI caches settings per process,
    so the cache is cleared first)."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(main, list(args), env=ingest_env(settings))
    finally:
        get_settings.cache_clear()
