"""One region's engine as a stream of blocks, in this process or in a worker process.

Kept apart from simulator.run so that a worker process imports only the engine (numpy, orjson)
and not the merging side (pyarrow, the contracts for bad-event mode): a spawned worker pays its
imports before it makes its first event.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing.queues
from collections.abc import Iterator
from typing import Any

from simulator.block import Block
from simulator.config import SimulationConfig
from simulator.engine import Engine
from simulator.truth import TruthAccumulator


def region_blocks(engine: Engine) -> Iterator[Block]:
    """One region's serialized events in time order (its truth is counted as they are made)."""
    yield from engine.days()
    if engine.region == 0:
        engine.truth.incidents = engine.incident_manifest()


@contextlib.contextmanager
def few_collections() -> Iterator[None]:
    """Collect garbage rarely while generating: the simulation makes millions of short-lived,
    acyclic objects that reference counting frees, and the default thresholds spent a fifth of
    the time in collections that found nothing."""
    before = gc.get_threshold()
    gc.set_threshold(200_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def region_worker(
    config: SimulationConfig, region: int, queue: multiprocessing.queues.Queue[Any]
) -> None:
    """Worker process: stream one region's blocks, then its truth, then None."""
    engine = Engine(config, region)
    with few_collections():
        for block in region_blocks(engine):
            queue.put(block)
    queue.put(engine.truth)
    queue.put(None)


def from_queue(
    queue: multiprocessing.queues.Queue[Any], truths: list[TruthAccumulator]
) -> Iterator[Block]:
    while (message := queue.get()) is not None:
        if isinstance(message, TruthAccumulator):
            truths.append(message)
        else:
            yield message
