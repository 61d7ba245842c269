"""`simulate(config)`: a run object streaming serialized events, then its truth manifest.

Each fulfilment region is simulated by its own engine, in this process (`workers=1`) or in worker
processes; their time-ordered streams are merged by (event time, region, emission order), so the
output is the same bytes whatever the number of workers.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.queues
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from acme.contexts import BOUNDED_CONTEXTS
from simulator import arrow
from simulator.block import Block
from simulator.calendar import holiday_names
from simulator.config import SimulationConfig
from simulator.engine import Engine
from simulator.ids import DAY_MS, to_ms
from simulator.noise import Noise
from simulator.regions import few_collections, from_queue, region_blocks, region_worker
from simulator.truth import TruthAccumulator

log = logging.getLogger(__name__)


class SimulatedEvent(NamedTuple):
    """One message as it goes to Kafka: `value` is the exact bytes sent, `key` the aggregate id.

    `is_valid` is False for bad-event-mode messages, whose `bad_kind` names the validation reason
    they must produce. `is_duplicate` marks a re-delivery (same bytes, same event_id).
    `event_time_ms` is the simulated time (epoch ms) the message belongs to, for live pacing.
    """

    context: str
    key: bytes
    value: bytes
    is_valid: bool
    bad_kind: str | None
    is_duplicate: bool
    event_time_ms: int


class Batch(NamedTuple):
    """Consecutive messages of a run in emission order, as columns (what the file sinks write).

    `contexts` are positions in BOUNDED_CONTEXTS; `bad_kinds` is null for valid messages. A line
    is a message followed by the newline that ends it in a JSONL file (messages never hold a raw
    newline). Message i's line is `lines[line_order[i]]`, or `lines[i]` if `line_order` is None:
    the merge leaves the lines where they arrived and a sink gathers them once, in the order it
    needs (`lines_at`), since moving them costs more than anything else the merge does.
    """

    times: np.ndarray  # int64 event time, epoch ms
    contexts: np.ndarray  # uint8
    keys: pa.BinaryArray
    lines: pa.BinaryArray
    line_order: np.ndarray | None
    is_valid: np.ndarray  # bool
    bad_kinds: pa.StringArray
    is_duplicate: np.ndarray  # bool

    @property
    def size(self) -> int:
        return int(self.times.size)

    def lines_at(self, positions: np.ndarray | None = None) -> pa.BinaryArray:
        """The lines of the messages at `positions` (all, in emission order, by default)."""
        if self.line_order is not None:
            positions = self.line_order if positions is None else self.line_order[positions]
        if positions is None:
            return self.lines
        return self.lines.take(arrow.numbers(positions, pa.int64()))

    def message_values(self) -> pa.BinaryArray:
        """Every message's bytes (its line without the newline), in emission order."""
        return pc.binary_slice(self.lines_at(), 0, -1)

    @classmethod
    def of_messages(cls, messages: Sequence[_Message]) -> Batch:
        times, contexts, keys, values, valid, kinds, duplicate = zip(*messages, strict=True)
        return cls(
            np.array(times, dtype=np.int64),
            np.array(contexts, dtype=np.uint8),
            arrow.binaries(keys),
            arrow.binaries(values),
            None,
            np.array(valid, dtype=np.bool_),
            arrow.strings(kinds),
            np.array(duplicate, dtype=np.bool_),
        )


# One message of the noise path: (time, context code, key, value + newline, is_valid, bad kind,
# is_duplicate), the fields of Batch.
_Message = tuple[int, int, bytes, bytes, bool, str | None, bool]


class _Part(NamedTuple):
    """Events a region has sent that the merge has not passed on yet, as Arrow-ready columns;
    after the merge, `lines[line_order[i]]` is event i's line (see Batch)."""

    times: np.ndarray
    contexts: np.ndarray
    keys: pa.BinaryArray
    lines: pa.BinaryArray
    line_order: np.ndarray | None = None

    @classmethod
    def of(cls, block: Block) -> _Part:
        # Zero-copy: the block's bytes and offsets are already Arrow's binary layout.
        keys = arrow.binary(block.keys, block.key_offsets)
        return cls(
            block.times, block.contexts, keys, arrow.binary(block.values, block.value_offsets)
        )

    @property
    def size(self) -> int:
        return int(self.times.size)

    def split(self, cut: int) -> tuple[_Part, _Part]:
        head = _Part(self.times[:cut], self.contexts[:cut], self.keys[:cut], self.lines[:cut])
        tail = _Part(self.times[cut:], self.contexts[cut:], self.keys[cut:], self.lines[cut:])
        return head, tail


def _interleave(heads: list[_Part]) -> _Part:
    """Heads of the regions' streams (region order, each in time order) as one stream in (time,
    region, emission order): a stable sort by time of the events laid end to end."""
    parts = [p for p in heads if p.size]
    if len(parts) == 1:
        return parts[0]
    times = np.concatenate([p.times for p in parts])
    order = np.argsort(times, kind="stable")
    return _Part(
        times[order],
        np.concatenate([p.contexts for p in parts])[order],
        pa.concat_arrays([p.keys for p in parts]).take(arrow.numbers(order, pa.int64())),
        pa.concat_arrays([p.lines for p in parts]),
        order,
    )


def _lines_of(part: _Part) -> pa.BinaryArray:
    if part.line_order is None:
        return part.lines
    return part.lines.take(arrow.numbers(part.line_order, pa.int64()))


def _merge(streams: list[Iterator[Block]]) -> Iterator[_Part]:
    """Merge the regions' time-ordered block streams by (time, region, emission order).

    A region's later events are never earlier than the last one it has sent, so everything before
    the earliest such "last time" among the regions still sending is final; events at exactly
    that instant wait, since the region that sent it may have more of that millisecond."""
    pending: list[list[_Part]] = [[] for _ in streams]  # per region, in time order
    sending = [True] * len(streams)
    stalled_at: int | None = None
    while True:
        for region, parts in enumerate(pending):
            stalled = bool(parts) and int(parts[-1].times[-1]) == stalled_at
            while sending[region] and (stalled or not parts):
                block = next(streams[region], None)
                if block is None:
                    sending[region] = False
                elif block.times.size:
                    parts.append(_Part.of(block))
                    stalled = False
        lasts = [int(p[-1].times[-1]) for p, s in zip(pending, sending, strict=True) if s]
        horizon = min(lasts, default=None)
        heads: list[_Part] = []
        for parts in pending:
            # Whole parts before the horizon, then the part the horizon falls in, split.
            whole = len(parts)
            if horizon is not None:
                whole = next((n for n, p in enumerate(parts) if p.times[-1] >= horizon), whole)
            heads += parts[:whole]
            del parts[:whole]
            if parts and horizon is not None:
                head, parts[0] = parts[0].split(int(np.searchsorted(parts[0].times, horizon)))
                heads.append(head)
        if not any(p.size for p in heads):
            if horizon is None:
                return
            stalled_at = horizon
            continue
        stalled_at = None
        yield _interleave(heads)


class SimulationRun:
    """Iterate `.events` (or `.batches`) once; afterwards `.truth` holds the manifest."""

    def __init__(self, config: SimulationConfig, workers: int = 1) -> None:
        self.config = config
        self.workers = max(1, min(workers, config.regions))
        self._noise = Noise(config.seed, config.bad_share, config.duplicate_share)
        self._truth = TruthAccumulator()
        self._truth.open_window(config.start.date().isoformat())
        self._duplicates: deque[tuple[int, _Message]] = deque()  # (deliver after n, message)
        self._finished = False
        self._started = False
        self._start_ms = to_ms(config.start)
        self.emitted = 0
        self.last_time_ms = 0

    @property
    def current_day(self) -> int:
        """Day of the window being emitted (-1 while the history before it goes out)."""
        if self.last_time_ms < self._start_ms:
            return -1
        return (self.last_time_ms - self._start_ms) // DAY_MS

    @property
    def events(self) -> Iterator[SimulatedEvent]:
        """Every message, one at a time (for Kafka and tests)."""
        return self._events(self.batches)

    @property
    def batches(self) -> Iterator[Batch]:
        """Every message, as columns a few thousand at a time (for the file sinks)."""
        if self._started:
            raise RuntimeError("a SimulationRun's events can be iterated only once")
        self._started = True
        return self._batches()

    @staticmethod
    def _events(batches: Iterator[Batch]) -> Iterator[SimulatedEvent]:
        # tuple.__new__ skips NamedTuple's Python-level constructor: this runs once per message.
        new, context_name = tuple.__new__, BOUNDED_CONTEXTS.__getitem__
        for batch in batches:
            rows = zip(
                map(context_name, batch.contexts.tolist()),
                batch.keys.to_pylist(),
                batch.message_values().to_pylist(),
                batch.is_valid.tolist(),
                batch.bad_kinds.to_pylist(),
                batch.is_duplicate.tolist(),
                batch.times.tolist(),
                strict=True,
            )
            for row in rows:
                yield new(SimulatedEvent, row)

    def _region_streams(self) -> tuple[list[Iterator[Block]], list[TruthAccumulator], list[Any]]:
        """One block stream per region. With one worker every region runs here; otherwise region
        0 runs here too (between merges: this process would mostly wait for the others) and each
        other region in a worker process, spawned rather than forked so that a caller's threads,
        such as a Kafka producer's, never leak into it."""
        config = self.config
        if self.workers == 1:
            engines = [Engine(config, r) for r in range(config.regions)]
            return [region_blocks(e) for e in engines], [e.truth for e in engines], []
        context = multiprocessing.get_context("spawn")
        queues = {r: context.Queue(maxsize=4) for r in range(1, config.regions)}
        processes = [
            context.Process(target=region_worker, args=(config, r, queue), daemon=True)
            for r, queue in queues.items()
        ]
        for process in processes:
            process.start()
        here = Engine(config, 0)  # after the start: the workers import while this one builds
        truths = [here.truth]
        streams = [region_blocks(here)] + [from_queue(q, truths) for q in queues.values()]
        return streams, truths, processes

    def _batches(self) -> Iterator[Batch]:
        noise = self._noise
        noisy = bool(noise.bad_share or noise.duplicate_share)
        streams, region_truths, processes = self._region_streams()
        collections = few_collections()
        collections.__enter__()
        try:
            for part in _merge(streams):
                self.last_time_ms = int(part.times[-1])
                if noisy:
                    batch = self._with_noise(part)
                else:
                    batch = Batch(
                        part.times,
                        part.contexts,
                        part.keys,
                        part.lines,
                        part.line_order,
                        np.ones(part.size, dtype=np.bool_),
                        pa.nulls(part.size, type=pa.string()),
                        np.zeros(part.size, dtype=np.bool_),
                    )
                self.emitted += batch.size
                yield batch
            if self._duplicates:
                late = [message for _, message in self._duplicates]
                self._truth.duplicates += len(late)
                self.emitted += len(late)
                yield Batch.of_messages(late)
        finally:
            collections.__exit__(None, None, None)
            for process in processes:
                if process.is_alive():
                    process.terminate()
                process.join()
        for region_truth in region_truths:
            self._truth.merge(region_truth)
        self._finished = True
        log.info("simulation finished: %d messages", self.emitted)

    def _with_noise(self, part: _Part) -> Batch:
        """The valid messages of `part` with the bad copies and re-deliveries noise adds, in the
        order they go out: a bad copy right after its original, a duplicate 1-50 messages later
        (counted across batches)."""
        noise, truth, duplicates = self._noise, self._truth, self._duplicates
        emitted = self.emitted
        out: list[_Message] = []
        rows = zip(
            part.times.tolist(),
            part.contexts.tolist(),
            part.keys.to_pylist(),
            _lines_of(part).to_pylist(),
            strict=True,
        )
        for time_ms, context, key, value in rows:
            message: _Message = (time_ms, context, key, value, True, None, False)
            out.append(message)
            emitted += 1
            if noise.bad_share and noise.wants_bad():
                kind, broken = noise.corrupt(orjson.loads(value))
                truth.bad_by_kind[kind] += 1
                out.append((time_ms, context, key, broken + b"\n", False, kind, False))
                emitted += 1
            if noise.duplicate_share:
                delay = noise.wants_duplicate()
                if delay:
                    duplicates.append(
                        (emitted + delay, (time_ms, context, key, value, True, None, True))
                    )
                while duplicates and duplicates[0][0] <= emitted:
                    out.append(duplicates.popleft()[1])
                    truth.duplicates += 1
                    emitted += 1
        return Batch.of_messages(out)

    @property
    def truth(self) -> dict[str, Any]:
        """The truth manifest; available once `.events` is exhausted."""
        if not self._finished:
            raise RuntimeError("exhaust run.events before reading run.truth")
        config = self.config
        return {
            "seed": config.seed,
            "window": {
                "start": config.start.isoformat().replace("+00:00", "Z"),
                "days": config.days,
                "holidays": holiday_names(config),
            },
            "config": {
                "customers": config.customers,
                "products": config.products,
                "warehouses": config.warehouses,
                "regions": config.regions,
                "visit_rate": config.visit_rate,
                "anonymous_share": config.anonymous_share,
                "bad_share": config.bad_share,
                "duplicate_share": config.duplicate_share,
            },
            "messages": self.emitted,
            **self._truth.manifest(),
        }


def simulate(config: SimulationConfig, workers: int = 1) -> SimulationRun:
    """Start a deterministic run; nothing is generated until `.events` is iterated. With
    `workers` > 1 the regions are generated in parallel, region 0 in this process and each other
    one in a worker process; the bytes are the same."""
    return SimulationRun(config, workers)
