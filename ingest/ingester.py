"""The ingest loop: poll Kafka, route each record, flush micro-batches to Delta exactly once.

Exactly-once (docs/decisions/exactly-once.md): every output table stores, per topic-partition, the
next offset it has fully written, as a Delta app transaction in the same commit as its rows. Each
flush commits dead letters, then live metrics, then raw events; the raw table is committed last on
every flush (even with no rows), so its positions are where consumption restarts. Records a table
already holds (its own position is ahead after a crash between two commits) are skipped for that
table only. delta-rs would accept a lower version, so the skip is ours to do.

Commits run on one background thread, one batch at a time and in order, while the loop routes the
next batch: delta-rs encodes Parquet and commits without holding the GIL, so on two cores the
write overlaps kafka-python's decoding (docs/decisions/ingest-throughput.md). A failed commit
stops the loop at the next flush; what it did not write is read again after the restart.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc
from kafka.errors import KafkaError
from opentelemetry import trace

from acme.contracts import InvalidEvent, ValidatedEvent, validate
from acme.kafka.topics import project_topics
from acme.privacy.suppression import Suppression
from acme.settings import Settings
from ingest import dead_letters, live_metrics, offsets, transform
from ingest.consumer import EventConsumer, SourceRecord, TopicPartition
from ingest.dead_letters import DeadLetterRows
from ingest.live_metrics import OBSERVED_TYPES, LiveAggregator
from ingest.metrics import IngestMetrics
from ingest.tables import DEAD_LETTERS, LIVE_MINUTE_METRICS, RAW_EVENTS
from ingest.transform import RawRows
from ingest.writer import DeltaAppender

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

ASSIGNMENT_REFRESH_S = 10.0
"""How often new topics and partitions are picked up without a restart."""
LAG_CHECK_S = 5.0
POLL_TIMEOUT_MS = 100
TRACED_CORRELATION_IDS = 20
"""Correlation ids named on a batch's span (the first ones); the span counts them all."""


@dataclass(frozen=True)
class FlushPolicy:
    """A micro-batch is flushed when any limit is reached. The defaults keep event-to-lake well
    under 5 s at demo rates (latency), and memory bounded when catching up (records and bytes)."""

    max_records: int = 20_000
    max_bytes: int = 64 * 1024 * 1024
    max_latency_s: float = 1.0


@dataclass(frozen=True)
class Shard:
    """This process's share of the partitions when several ingest processes run side by side
    (`acme ingest --workers N`). Ownership is a stable hash of the topic-partition, so each one
    has exactly one writer and its app-transaction positions stay single-writer, and partitions
    added later are owned by exactly one worker too."""

    index: int
    count: int

    def owns(self, tp: TopicPartition) -> bool:
        return self.count == 1 or zlib.crc32(f"{tp[0]}/{tp[1]}".encode()) % self.count == self.index


@dataclass
class _Batch:
    raw: RawRows = field(default_factory=RawRows)
    dead: DeadLetterRows = field(default_factory=DeadLetterRows)
    first_offsets: dict[TopicPartition, int] = field(default_factory=dict)
    next_offsets: dict[TopicPartition, int] = field(default_factory=dict)
    records: int = 0
    opened_at: float = 0.0
    oldest_timestamp_ms: int | None = None

    @property
    def nbytes(self) -> int:
        return self.raw.nbytes + self.dead.nbytes


@dataclass
class IngestSummary:
    """What one run wrote."""

    raw_events: int = 0
    dead_letters: int = 0
    batches: int = 0


class Ingester:
    """Consumes the project's topics into the raw, dead-letter and live-metrics tables."""

    def __init__(
        self,
        settings: Settings,
        policy: FlushPolicy,
        metrics: IngestMetrics | None = None,
        shard: Shard | None = None,
    ) -> None:
        lake = settings.lake_root
        self.shard = shard or Shard(0, 1)
        self.lake_root = lake
        self.policy = policy
        self.metrics = metrics or IngestMetrics()
        self.raw = DeltaAppender(RAW_EVENTS.path(lake), RAW_EVENTS)
        self.dead = DeltaAppender(DEAD_LETTERS.path(lake), DEAD_LETTERS)
        self.live = DeltaAppender(LIVE_MINUTE_METRICS.path(lake), LIVE_MINUTE_METRICS)
        self.metrics.lake_written(True)
        self.suppression = Suppression(lake, settings.pii_salt.get_secret_value())
        self.aggregator = LiveAggregator()
        self.aggregator.seed(live_metrics.recent_events(self.raw.table, timedelta(hours=1)))
        self.consumer = EventConsumer(
            settings, project_topics(settings), max_poll_records=policy.max_records
        )
        # Next offset per partition: handed to a commit (routing resumes there), written
        # everywhere (raw table committed: lag and readiness), written to one table (floors).
        self._next: dict[TopicPartition, int] = {}
        self._written: dict[TopicPartition, int] = {}
        self._dead_floor: dict[TopicPartition, int] = {}
        self._live_floor: dict[TopicPartition, int] = {}
        self._batch = _Batch()
        self.summary = IngestSummary()
        self._committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="delta-commit")
        self._commit: Future[None] | None = None

    # -- assignment ------------------------------------------------------------------------------

    def _refresh_assignment(self) -> None:
        known = [tp for tp in self.consumer.discover() if self.shard.owns(tp)]
        new = [tp for tp in known if tp not in self._next]
        if not new:
            return
        self._await_commit()  # the tables' positions are read while no commit is changing them
        raw = offsets.stored_positions(self.raw, transform.STREAM, new)
        self._dead_floor |= offsets.stored_positions(self.dead, dead_letters.STREAM, new)
        self._live_floor |= offsets.stored_positions(self.live, live_metrics.STREAM, new)
        for tp in new:
            self._next[tp] = self._written[tp] = raw.get(tp, 0)
        self.consumer.assign(raw, new)
        log.info(
            "resuming from the lake's positions",
            extra={"positions": {f"{t}/{p}": raw.get((t, p)) for t, p in new}},
        )

    # -- the loop --------------------------------------------------------------------------------

    def run(self, stop: threading.Event, *, until_idle: bool = False) -> IngestSummary:
        """Ingest until `stop` is set (then flush and return), or, with `until_idle`, until every
        assigned partition is written up to its end."""
        next_refresh = 0.0
        next_lag_check = 0.0
        try:
            while not stop.is_set():
                self.metrics.loop_turned()
                now = time.monotonic()
                if now >= next_refresh:
                    self._guard_broker(self._refresh_assignment)
                    next_refresh = now + ASSIGNMENT_REFRESH_S
                fetched = self.consumer.poll(POLL_TIMEOUT_MS)
                for tp, records in fetched.items():
                    self._route(tp, records)
                if self._is_due():
                    self.flush()
                idle = not fetched and until_idle
                if idle or time.monotonic() >= next_lag_check:
                    next_lag_check = time.monotonic() + LAG_CHECK_S
                    if idle:
                        self.flush(wait=True)  # nothing more is coming now: commit, then check
                    # While records flow, fetch responses prove the broker answers and carry
                    # the high watermarks; a ListOffsets round trip would queue behind the
                    # fetches in flight and stall the loop (4% of it when catching up).
                    lag = self._guard_broker(partial(self._check_lag, ask_broker=not fetched))
                    self._probe_lake()
                    if idle and lag == 0:
                        log.info("caught up; exiting", extra={"summary": vars(self.summary)})
                        break
            self.flush(wait=True)
        finally:
            self._committer.shutdown(wait=True)  # never leave a commit half done
            self.consumer.close()
        return self.summary

    def _guard_broker(self, step: object) -> int | None:
        """Run a step that talks to the broker; a broker outage is waited out, not fatal."""
        try:
            result = step()  # type: ignore[operator]
        except KafkaError as error:
            self.metrics.broker_answered(False)
            log.warning("broker not answering; retrying", extra={"error": repr(error)})
            return None
        self.metrics.broker_answered(True)
        return result if isinstance(result, int) else None

    def _probe_lake(self) -> None:
        """Readiness when idle: can we still create a file in the lake? (Commits prove it too.)"""
        probe = self.lake_root / f".ingest-probe-{os.getpid()}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            self.metrics.lake_written(False)
            log.warning("lake not writable", extra={"error": repr(error)})
        else:
            self.metrics.lake_written(True)

    def _check_lag(self, *, ask_broker: bool) -> int:
        lag = self.consumer.lag(self._written, ask_broker=ask_broker)
        for (topic, partition), value in lag.items():
            self.metrics.lag.labels(topic, str(partition)).set(value)
        return sum(lag.values())

    def _route(self, tp: TopicPartition, records: list[SourceRecord]) -> None:
        """Add one partition's fetched records (in offset order) to the batch: valid events to
        the raw rows and the live metrics, invalid ones to the dead letters."""
        batch = self._batch
        start = batch.next_offsets.get(tp, self._next.get(tp, 0))
        if records[0].offset < start:
            records = [r for r in records if r.offset >= start]  # already written or batched
            if not records:
                return
        if batch.records == 0:
            batch.opened_at = time.monotonic()
            batch.oldest_timestamp_ms = records[0].timestamp
        batch.records += len(records)
        batch.first_offsets.setdefault(tp, records[0].offset)
        batch.next_offsets[tp] = records[-1].offset + 1
        topic, partition = tp
        dead_floor = self._dead_floor.get(tp, 0)
        live_floor = self._live_floor.get(tp, 0)
        observe = self.aggregator.observe
        suppressed = self.suppression.drops if self.suppression.keys else None
        events: list[ValidatedEvent] = []
        kept: list[int] = []
        keep_event, keep_offset = events.append, kept.append
        for record in records:
            offset = record.offset
            try:
                event = validate(record.value or b"")
            except InvalidEvent as invalid:
                if offset >= dead_floor:
                    batch.dead.add(
                        topic=topic,
                        partition=partition,
                        offset=offset,
                        key=record.key,
                        raw=record.value,
                        reason=invalid.reason,
                        detail=invalid.detail,
                        received_at=datetime.now(UTC),
                    )
                continue
            if suppressed is not None and suppressed(event):
                self.metrics.suppressed.inc()
                continue
            keep_event(event)
            keep_offset(offset)
            if event.event_type in OBSERVED_TYPES:
                observe(event, count=offset >= live_floor)
        batch.raw.extend(topic, partition, events, kept)

    def _counted_for_live(self, rows: pa.Table) -> pa.Table:
        """The batch's raw rows the live table has not counted yet: all of them, except after a
        crash between the live and the raw commit, when the live table is ahead on a partition."""
        ahead = [(tp, floor) for tp, floor in self._live_floor.items() if floor > self._next[tp]]
        for (topic, partition), floor in ahead:
            counted = pc.and_(
                pc.and_(pc.equal(rows["topic"], topic), pc.equal(rows["partition"], partition)),
                pc.less(rows["offset"], floor),
            )
            rows = rows.filter(pc.invert(counted))
        return rows

    def _is_due(self) -> bool:
        batch = self._batch
        return batch.records > 0 and (
            batch.records >= self.policy.max_records
            or batch.nbytes >= self.policy.max_bytes
            or time.monotonic() - batch.opened_at >= self.policy.max_latency_s
        )

    def flush(self, *, wait: bool = False) -> None:
        """Turn the pending micro-batch into Arrow tables and hand them to the commit thread, once
        the previous batch is committed (so at most one batch is in flight and commits stay in
        order); with `wait`, also wait for this commit. Raises what a failed commit raised."""
        batch = self._batch
        self.suppression.refresh()
        if batch.records:
            now = datetime.now(UTC)
            dead_rows = batch.dead.to_arrow() if len(batch.dead) else None
            raw_rows = batch.raw.to_arrow()
            self.aggregator.observe_activity(self._counted_for_live(raw_rows))
            live_rows = self.aggregator.drain(now)
            self._await_commit()
            self._commit = self._committer.submit(
                self._write, batch, dead_rows, live_rows, raw_rows
            )
            self._next |= batch.next_offsets
            self._batch = _Batch()
        if wait:
            self._await_commit()

    def _await_commit(self) -> None:
        if self._commit is not None:
            commit, self._commit = self._commit, None
            commit.result()

    def _write(
        self, batch: _Batch, dead_rows: pa.Table | None, live_rows: pa.Table, raw_rows: pa.Table
    ) -> None:
        """On the commit thread: dead letters, live metrics, then raw events (always, so the raw
        table's positions are where the next run resumes)."""
        started = time.perf_counter()
        ends = batch.next_offsets
        with tracer.start_as_current_span(
            "ingest batch", attributes=_batch_attributes(batch)
        ) as span:
            _trace_correlation_ids(span, raw_rows)
            try:
                if dead_rows is not None:
                    self.dead.append(dead_rows, offsets.transactions(dead_letters.STREAM, ends))
                if live_rows.num_rows:
                    self.live.append(live_rows, offsets.transactions(live_metrics.STREAM, ends))
                self.raw.append(raw_rows, offsets.transactions(transform.STREAM, ends))
            except Exception:
                self.metrics.lake_written(False)
                raise
            self.metrics.lake_written(True)
            self._written = self._written | ends  # rebound whole: the loop thread reads it
            self._account(batch, time.perf_counter() - started)

    def _account(self, batch: _Batch, seconds: float) -> None:
        metrics = self.metrics
        metrics.events.labels("raw").inc(len(batch.raw))
        metrics.events.labels("dead_letter").inc(len(batch.dead))
        for reason in batch.dead.reasons():
            metrics.dead_letters.labels(reason).inc()
        metrics.batch_seconds.observe(seconds)
        metrics.batch_records.observe(batch.records)
        metrics.last_commit.set_to_current_time()
        oldest_age = None
        if batch.oldest_timestamp_ms is not None and batch.oldest_timestamp_ms > 0:
            oldest_age = max(0.0, time.time() - batch.oldest_timestamp_ms / 1000)
            metrics.freshness.observe(oldest_age)
        self.summary.raw_events += len(batch.raw)
        self.summary.dead_letters += len(batch.dead)
        self.summary.batches += 1
        log.info(
            "batch committed",
            extra={
                "records": batch.records,
                "raw": len(batch.raw),
                "dead_letters": len(batch.dead),
                "seconds": round(seconds, 3),
                "oldest_record_age_s": None if oldest_age is None else round(oldest_age, 3),
            },
        )


def _batch_attributes(batch: _Batch) -> dict[str, str | int | list[str]]:
    """What a batch's span says about it: its size and the Kafka records it holds."""
    return {
        "messaging.system": "kafka",
        "messaging.batch.message_count": batch.records,
        "acme.batch.raw_events": len(batch.raw),
        "acme.batch.dead_letters": len(batch.dead),
        "messaging.destination.name": sorted({topic for topic, _ in batch.next_offsets}),
        # topic/partition:first-last offsets of the records in the batch, e.g. acme.orders/0:40-99
        "acme.kafka.offsets": [
            f"{topic}/{partition}:{batch.first_offsets[(topic, partition)]}-{end - 1}"
            for (topic, partition), end in sorted(batch.next_offsets.items())
        ],
    }


def _trace_correlation_ids(span: trace.Span, raw_rows: pa.Table) -> None:
    """Name the batch's correlation ids on its span, bounded: the first ones and their count, so a
    business flow (an order, a cart) can be found in the batches that carried it."""
    if not span.is_recording() or not raw_rows.num_rows:
        return
    ids = pc.unique(raw_rows["correlation_id"])  # in batch order: sorting costs 4x more
    span.set_attribute("acme.correlation_id.count", len(ids))
    span.set_attribute("acme.correlation_ids", ids[:TRACED_CORRELATION_IDS].to_pylist())
