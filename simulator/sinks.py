"""Where a run's messages go: Kafka (one topic per bounded context, keyed by aggregate id), JSONL
files or a Parquet file; each file output gets the run's `truth.json` beside it."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from kafka import KafkaProducer

from acme.contexts import BOUNDED_CONTEXTS
from acme.kafka.client import client_options
from acme.kafka.topics import ensure_topics, topic_for
from acme.settings import Settings
from simulator import arrow
from simulator.run import Batch, SimulatedEvent, SimulationRun

log = logging.getLogger(__name__)
_T = TypeVar("_T")

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
_CONTEXT_NAMES = arrow.strings(BOUNDED_CONTEXTS)


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


def _with_progress(items: Iterator[_T], progress: Progress | None, every: int = 1) -> Iterator[_T]:
    """`items` (events, or batches of them), ticking `progress` every `every` items."""
    for count, item in enumerate(items):
        if progress is not None and count % every == 0:
            progress.tick()
        yield item
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
    a raw newline), plus `truth.json`. Returns messages written per context.

    Per batch, one stable sort by context lays each context's lines end to end in one Arrow
    buffer, so each file gets one write per batch and no Python work per message."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [(out_dir / f"{c}.jsonl").open("wb", buffering=1 << 20) for c in BOUNDED_CONTEXTS]
    counts = np.zeros(len(BOUNDED_CONTEXTS), dtype=np.int64)
    try:
        for batch in _with_progress(run.batches, progress):
            sizes = np.bincount(batch.contexts, minlength=len(BOUNDED_CONTEXTS))
            lines = batch.lines_at(np.argsort(batch.contexts, kind="stable"))
            offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset :]
            data = memoryview(lines.buffers()[2])  # type: ignore[arg-type]
            ends = np.cumsum(sizes)
            for code in np.flatnonzero(sizes):
                files[code].write(data[offsets[ends[code] - sizes[code]] : offsets[ends[code]]])
            counts += sizes
    finally:
        for handle in files:
            handle.close()
    write_truth(run, out_dir)
    return dict(zip(BOUNDED_CONTEXTS, counts.tolist(), strict=True))


def _parquet_table(batch: Batch) -> pa.Table:
    columns = [
        _CONTEXT_NAMES.take(arrow.numbers(batch.contexts, pa.uint8())),
        batch.keys,
        batch.message_values(),
        arrow.bools(batch.is_valid),
        batch.bad_kinds,
        arrow.bools(batch.is_duplicate),
        arrow.numbers(batch.times, pa.int64()),
    ]
    return pa.table(columns, schema=PARQUET_SCHEMA)


def write_parquet(
    run: SimulationRun, out_dir: Path, progress: Progress | None = None, rows: int = 200_000
) -> int:
    """All messages in `events.parquet` (context, key, value, labels, event time), written in row
    groups of `rows` (whatever the batches' sizes, so the file's bytes do not depend on the
    number of workers), plus `truth.json`. Returns the number of messages written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    buffered: list[pa.Table] = []
    waiting = 0
    with pq.ParquetWriter(out_dir / PARQUET_FILE, PARQUET_SCHEMA, compression="zstd") as writer:
        for batch in _with_progress(run.batches, progress):
            buffered.append(_parquet_table(batch))
            waiting += batch.size
            while waiting >= rows:
                table = pa.concat_tables(buffered).combine_chunks()
                writer.write_table(table.slice(0, rows), row_group_size=rows)
                buffered, waiting = [table.slice(rows)], waiting - rows
                total += rows
        if waiting:
            writer.write_table(pa.concat_tables(buffered).combine_chunks(), row_group_size=rows)
            total += waiting
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
        for event in _with_progress(events, progress, every=1024):
            producer.send(topics[event.context], key=event.key, value=event.value)
            counts[event.context] += 1
        producer.flush()
    finally:
        producer.close()
    log.info("produced %d messages to %d topics", sum(counts.values()), len(topics))
    return counts
