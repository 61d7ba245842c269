"""Where a run's messages go: Kafka (one topic per bounded context, keyed by aggregate id), JSONL
files or a Parquet file; each file output gets the run's `truth.json` beside it."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq
from kafka import KafkaProducer

from acme.contexts import BOUNDED_CONTEXTS
from acme.kafka.client import client_options
from acme.kafka.topics import ensure_topics, topic_for
from acme.settings import Settings
from acme.simulator.run import SimulatedEvent, SimulationRun

log = logging.getLogger(__name__)

TRUTH_FILE = "truth.json"
PARQUET_FILE = "events.parquet"
PARQUET_SCHEMA = pa.schema(
    [
        ("context", pa.string()),
        ("key", pa.binary()),
        ("value", pa.binary()),
        ("is_valid", pa.bool_()),
        ("bad_kind", pa.string()),
        ("is_duplicate", pa.bool_()),
        ("event_time_ms", pa.int64()),
    ]
)


class Progress:
    """A one-line progress report on stderr, refreshed at most once a second."""

    def __init__(self, run: SimulationRun, enabled: bool = True, stream: IO[str] = sys.stderr):
        self.run = run
        self.enabled = enabled
        self.stream = stream
        self.started = time.monotonic()
        self._last = 0.0

    def tick(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self._last < 1.0):
            return
        self._last = now
        elapsed = max(now - self.started, 1e-9)
        day = self.run.current_day
        where = "history before the window" if day < 0 else f"day {day + 1}/{self.run.config.days}"
        self.stream.write(
            f"\r{where} · {self.run.emitted:,} messages · {self.run.emitted / elapsed:,.0f} msg/s "
        )
        self.stream.flush()

    def done(self) -> None:
        self.tick(force=True)
        if self.enabled:
            self.stream.write("\n")


def paced(events: Iterator[SimulatedEvent], speedup: float = 1.0) -> Iterator[SimulatedEvent]:
    """Release each message when the wall clock reaches its event time (live mode); messages whose
    time has already passed (the world's history) go out at once."""
    for event in events:
        delay = event.event_time_ms / 1000 / speedup - time.time()
        if delay > 0:
            time.sleep(delay)
        yield event


def _with_progress(
    run: SimulationRun, events: Iterator[SimulatedEvent], progress: Progress | None
) -> Iterator[SimulatedEvent]:
    for count, event in enumerate(events):
        if progress is not None and count % 1024 == 0:
            progress.tick()
        yield event
    if progress is not None:
        progress.done()


def write_truth(run: SimulationRun, out_dir: Path) -> Path:
    """Write the run's truth manifest as `truth.json` in `out_dir`."""
    path = out_dir / TRUTH_FILE
    path.write_text(json.dumps(run.truth, indent=2, ensure_ascii=False) + "\n")
    return path


def write_jsonl(
    run: SimulationRun, out_dir: Path, progress: Progress | None = None
) -> dict[str, int]:
    """One `<context>.jsonl` per bounded context, one message value per line (values never hold
    a raw newline), plus `truth.json`. Returns messages written per context."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {c: (out_dir / f"{c}.jsonl").open("wb", buffering=1 << 20) for c in BOUNDED_CONTEXTS}
    counts = dict.fromkeys(BOUNDED_CONTEXTS, 0)
    try:
        for event in _with_progress(run, run.events, progress):
            files[event.context].write(event.value + b"\n")
            counts[event.context] += 1
    finally:
        for handle in files.values():
            handle.close()
    write_truth(run, out_dir)
    return counts


def write_parquet(
    run: SimulationRun, out_dir: Path, progress: Progress | None = None, rows: int = 200_000
) -> int:
    """All messages in `events.parquet` (context, key, value, labels, event time), written in row
    groups of `rows`, plus `truth.json`. Returns the number of messages written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    group: list[SimulatedEvent] = []
    with pq.ParquetWriter(out_dir / PARQUET_FILE, PARQUET_SCHEMA, compression="zstd") as writer:

        def flush() -> None:
            # zip(*rows) transposes in C: far cheaper than appending to 7 lists per message.
            columns = [list(column) for column in zip(*group, strict=True)]
            writer.write_table(pa.table(columns, schema=PARQUET_SCHEMA))
            group.clear()

        for event in _with_progress(run, run.events, progress):
            group.append(event)
            if len(group) >= rows:
                total += len(group)
                flush()
        if group:
            total += len(group)
            flush()
    write_truth(run, out_dir)
    return total


def produce_to_kafka(
    run: SimulationRun,
    settings: Settings,
    progress: Progress | None = None,
    live: bool = False,
) -> dict[str, int]:
    """Send every message to its context's topic keyed by aggregate id (so per-aggregate order
    holds), creating missing topics first. `live` paces messages to their event times.
    Returns messages sent per context."""
    ensure_topics(settings)
    producer = KafkaProducer(
        **client_options(settings),
        client_id="acme-simulator",
        acks="all",
        linger_ms=20,
        batch_size=512 * 1024,
        retries=5,
    )
    topics = {c: topic_for(c, settings) for c in BOUNDED_CONTEXTS}
    counts = dict.fromkeys(BOUNDED_CONTEXTS, 0)
    events = paced(run.events) if live else run.events
    try:
        for event in _with_progress(run, events, progress):
            producer.send(topics[event.context], key=event.key, value=event.value)
            counts[event.context] += 1
        producer.flush()
    finally:
        producer.close()
    log.info("produced %d messages to %d topics", sum(counts.values()), len(topics))
    return counts
