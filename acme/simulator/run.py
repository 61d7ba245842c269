"""`simulate(config)`: a run object streaming serialized events, then its truth manifest.

Each fulfilment region is simulated by its own engine, in this process (`workers=1`) or in worker
processes; their time-ordered streams are merged by (event time, region, emission order), so the
output is the same bytes whatever the number of workers.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import logging
import multiprocessing
import multiprocessing.queues
from collections import deque
from collections.abc import Iterator
from typing import Any, NamedTuple

import orjson

from acme.simulator.config import SimulationConfig
from acme.simulator.engine import Engine, holiday_names
from acme.simulator.ids import DAY_MS, to_ms
from acme.simulator.noise import Noise
from acme.simulator.truth import TruthAccumulator

log = logging.getLogger(__name__)

# (event time ms, region, emission order, context, key, value): tuples sort by the first three.
Item = tuple[int, int, int, str, bytes, bytes]
_CHUNK = 20_000


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


def _region_items(engine: Engine) -> Iterator[Item]:
    """One region's serialized events in time order (its truth is counted as they are made)."""
    region = engine.region
    for batch in engine.days():
        for time_ms, order, context, key, value in batch:
            yield (time_ms, region, order, context, key, value)
    if region == 0:
        engine.truth.incidents = engine.incident_manifest()


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """Collect garbage rarely while generating: the simulation makes millions of short-lived,
    acyclic objects that reference counting frees, and the default thresholds spent a fifth of
    the time in collections that found nothing."""
    before = gc.get_threshold()
    gc.set_threshold(200_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _region_worker(
    config: SimulationConfig, region: int, queue: multiprocessing.queues.Queue[Any]
) -> None:
    """Worker process: stream one region's items in chunks, then its truth, then None."""
    engine = Engine(config, region)
    chunk: list[Item] = []
    with _few_collections():
        for item in _region_items(engine):
            chunk.append(item)
            if len(chunk) >= _CHUNK:
                queue.put(chunk)
                chunk = []
    if chunk:
        queue.put(chunk)
    queue.put(engine.truth)
    queue.put(None)


def _from_queue(
    queue: multiprocessing.queues.Queue[Any], truths: list[TruthAccumulator]
) -> Iterator[Item]:
    while (message := queue.get()) is not None:
        if isinstance(message, TruthAccumulator):
            truths.append(message)
        else:
            yield from message


class SimulationRun:
    """Iterate `.events` once; afterwards `.truth` holds the manifest of what was emitted."""

    def __init__(self, config: SimulationConfig, workers: int = 1) -> None:
        self.config = config
        self.workers = max(1, min(workers, config.regions))
        self._noise = Noise(config.seed, config.bad_share, config.duplicate_share)
        self._truth = TruthAccumulator()
        self._truth.open_window(config.start.date().isoformat())
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
        if self._started:
            raise RuntimeError("a SimulationRun's events can be iterated only once")
        self._started = True
        return self._stream()

    def _region_streams(self) -> tuple[list[Iterator[Item]], list[TruthAccumulator], list[Any]]:
        """One item stream per region: in-process generators, or worker processes (spawned, not
        forked, so a caller's threads such as a Kafka producer's never leak into them)."""
        regions = range(self.config.regions)
        if self.workers == 1:
            engines = [Engine(self.config, r) for r in regions]
            return [_region_items(e) for e in engines], [e.truth for e in engines], []
        context = multiprocessing.get_context("spawn")
        queues = [context.Queue(maxsize=4) for _ in regions]
        processes = [
            context.Process(target=_region_worker, args=(self.config, r, queues[r]), daemon=True)
            for r in regions
        ]
        for process in processes:
            process.start()
        received: list[TruthAccumulator] = []
        return [_from_queue(q, received) for q in queues], received, processes

    def _stream(self) -> Iterator[SimulatedEvent]:
        noise, truth = self._noise, self._truth
        noisy = bool(noise.bad_share or noise.duplicate_share)
        # tuple.__new__ skips NamedTuple's Python-level constructor: this runs once per message.
        new = tuple.__new__
        pending: deque[tuple[int, SimulatedEvent]] = deque()  # (deliver after n events, event)
        streams, region_truths, processes = self._region_streams()
        collections = _few_collections()
        collections.__enter__()
        try:
            for time_ms, _, _, context, key, value in heapq.merge(*streams):
                self.last_time_ms = time_ms
                message: SimulatedEvent = new(
                    SimulatedEvent, (context, key, value, True, None, False, time_ms)
                )
                yield message
                self.emitted += 1
                if not noisy:
                    continue
                if noise.bad_share and noise.wants_bad():
                    kind, broken = noise.corrupt(orjson.loads(value))
                    truth.bad_by_kind[kind] += 1
                    self.emitted += 1
                    yield SimulatedEvent(context, key, broken, False, kind, False, time_ms)
                if noise.duplicate_share:
                    delay = noise.wants_duplicate()
                    if delay:
                        pending.append((self.emitted + delay, message))
                    while pending and pending[0][0] <= self.emitted:
                        _, original = pending.popleft()
                        truth.duplicates += 1
                        self.emitted += 1
                        yield _as_duplicate(original)
            while pending:
                truth.duplicates += 1
                self.emitted += 1
                yield _as_duplicate(pending.popleft()[1])
        finally:
            collections.__exit__(None, None, None)
            for process in processes:
                if process.is_alive():
                    process.terminate()
                process.join()
        for region_truth in region_truths:
            truth.merge(region_truth)
        self._finished = True
        log.info("simulation finished: %d messages", self.emitted)

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


def _as_duplicate(event: SimulatedEvent) -> SimulatedEvent:
    return SimulatedEvent(
        event.context, event.key, event.value, True, None, True, event.event_time_ms
    )


def simulate(config: SimulationConfig, workers: int = 1) -> SimulationRun:
    """Start a deterministic run; nothing is generated until `.events` is iterated. `workers`
    (up to `config.regions`) processes generate regions in parallel; the bytes are the same."""
    return SimulationRun(config, workers)
