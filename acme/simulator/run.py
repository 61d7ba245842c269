"""`simulate(config)`: a run object streaming serialized events, then its truth manifest."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from typing import Any, NamedTuple

import orjson

from acme.simulator.config import SimulationConfig
from acme.simulator.engine import Engine, holiday_names
from acme.simulator.noise import Noise
from acme.simulator.truth import TruthAccumulator

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


class SimulationRun:
    """Iterate `.events` once; afterwards `.truth` holds the manifest of what was emitted."""

    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.engine = Engine(config)
        self._noise = Noise(config.seed, config.bad_share, config.duplicate_share)
        self._truth = TruthAccumulator()
        self._truth.open_window(config.start.date().isoformat())
        self._finished = False
        self._started = False
        self.emitted = 0
        self.current_day = -1

    @property
    def events(self) -> Iterator[SimulatedEvent]:
        if self._started:
            raise RuntimeError("a SimulationRun's events can be iterated only once")
        self._started = True
        return self._stream()

    def _stream(self) -> Iterator[SimulatedEvent]:
        noise, truth, dumps = self._noise, self._truth, orjson.dumps
        pending: deque[tuple[int, SimulatedEvent]] = deque()  # (deliver after n events, event)
        for day, batch in enumerate(self.engine.days(), start=-1):
            self.current_day = day
            for emitted in batch:
                truth.add(emitted.envelope)
                message = SimulatedEvent(
                    emitted.context,
                    emitted.key.encode(),
                    dumps(emitted.envelope),
                    True,
                    None,
                    False,
                    emitted.time_ms,
                )
                yield message
                self.emitted += 1
                if noise.bad_share and noise.wants_bad():
                    kind, value = noise.corrupt(emitted.envelope)
                    truth.bad_by_kind[kind] += 1
                    self.emitted += 1
                    yield SimulatedEvent(
                        emitted.context, message.key, value, False, kind, False, emitted.time_ms
                    )
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
                "visit_rate": config.visit_rate,
                "anonymous_share": config.anonymous_share,
                "bad_share": config.bad_share,
                "duplicate_share": config.duplicate_share,
            },
            "messages": self.emitted,
            **self._truth.manifest(),
            "incidents": self.engine.incident_manifest(),
        }


def _as_duplicate(event: SimulatedEvent) -> SimulatedEvent:
    return SimulatedEvent(
        event.context, event.key, event.value, True, None, True, event.event_time_ms
    )


def simulate(config: SimulationConfig) -> SimulationRun:
    """Start a deterministic run; nothing is generated until `.events` is iterated."""
    return SimulationRun(config)
