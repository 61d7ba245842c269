"""The discrete-event kernel every bounded context runs on: clock, RNGs, the action heap, emission.

Actions (a session starting, a checkout, a parcel being delivered, a supplier delivery, ...) wait in
one heap ordered by simulated time; each action changes the world's state and emits the domain
events it causes. One seeded RNG per region (and one for the shared world) drives everything in a
fixed order, so a seed reproduces a run exactly: moving code between contexts is free, changing
the order of random draws is not.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import orjson

from simulator.block import BLOCK_EVENTS, CONTEXT_CODE, TIME, Block, Emitted
from simulator.config import ConfigError, SimulationConfig
from simulator.ids import DAY_MS, Clock, FastRandom, Ids, to_ms
from simulator.truth import TruthAccumulator
from simulator.world import Weighted, build_campaigns, build_world

if TYPE_CHECKING:
    from simulator.engine.engine import Engine

_dumps = orjson.dumps
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
CURRENCY = "USD"


def _envelope(
    event_id: str,
    event_type: str,
    version: int,
    event_time: str,
    context: str,
    correlation_id: str,
    causation_id: str | None,
    payload: dict[str, Any],
) -> bytes:
    """The envelope's JSON, byte for byte what orjson makes of the envelope dict (same keys, same
    order, compact), but only the payload goes through the serializer: the envelope's values are
    ids, names and timestamps that never need escaping, and formatting them into one string skips
    a dict per event. The value ends with the newline that ends its JSONL line (see Block)."""
    cause = "null" if causation_id is None else f'"{causation_id}"'
    head = (
        f'{{"event_id":"{event_id}","event_type":"{event_type}","schema_version":{version},'
        f'"event_time":"{event_time}","source_service":"{context}",'
        f'"correlation_id":"{correlation_id}","causation_id":{cause},"payload":'
    )
    return head.encode() + _dumps(payload) + b"}\n"


class Kernel:
    """One fulfilment region's clock, RNGs, world, action heap and emitted events.

    The world is split into `config.regions` regions, each owning warehouses (every
    `regions`-th one) and the customers of the cities those serve best; a customer only orders from
    their region's warehouses, so each region's stock, customers and orders are its own and
    regions can run in parallel processes. Shared facts (catalog, prices, promotions, campaigns,
    incidents) come from a world RNG that every region replays identically; region 0 alone emits
    them, the others only observe them. Each region counts its own truth (`truth`).
    """

    def __init__(self, config: SimulationConfig, region: int) -> None:
        self.config = config
        self.region = region
        self.wrng = FastRandom(config.seed)  # the world: identical in every region
        self.wids = Ids(self.wrng)
        self.rng = FastRandom(config.seed * 1_000_003 + 7_919 * (region + 1))  # this region's
        self.ids = Ids(self.rng)
        self.clock = Clock()
        self.start_ms = to_ms(config.start)
        self.end_ms = self.start_ms + config.days * DAY_MS
        self.v2_from_ms = self.start_ms + (config.days // 2) * DAY_MS
        self.world = build_world(self.wrng, self.wids, config.products, config.warehouses)
        self.world.campaigns = build_campaigns(self.wrng, self.wids, config.days)
        self.own_warehouses = [w for w in range(config.warehouses) if w % config.regions == region]
        own_cities = [
            i
            for i, city in enumerate(self.world.cities)
            if city.warehouse_order[0] % config.regions == region
        ]
        if not own_cities:
            raise ConfigError(
                f"region {region} serves no city with {config.warehouses} warehouses; "
                "use fewer regions"
            )
        for i in own_cities:
            city = self.world.cities[i]
            city.warehouse_order = tuple(
                w for w in city.warehouse_order if w in self.own_warehouses
            )
        self.city_pick = Weighted(own_cities, [self.world.city_weights[i] for i in own_cities])
        self.region_share = sum(self.world.city_weights[i] for i in own_cities) / sum(
            self.world.city_weights
        )
        self.truth = TruthAccumulator()
        self.truth.open_window(config.start.date().isoformat())
        self._truth_add = self.truth.add
        self._actions: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self._action_seq = itertools.count()
        self._out: list[Emitted] = []
        self._geo_by_city = [
            {
                "city": city.name,
                "region": city.region,
                "country": city.country,
                "latitude": city.latitude,
                "longitude": city.longitude,
            }
            for city in self.world.cities
        ]

    # --- emission ---------------------------------------------------------------------------------

    def emit(
        self,
        time_ms: int,
        context: str,
        event_type: str,
        key: str,
        payload: dict[str, Any],
        correlation_id: str,
        causation_id: str | None = None,
        version: int = 1,
    ) -> str:
        """Record one event; return its event_id (for causation links).

        The event is counted in the truth and serialized at once: its dicts are still in the CPU
        cache and die right away (keeping a day of dicts alive made serialization and the garbage
        collector several times dearer). Emission order differs from event-time order only
        between independent flows, which no truth figure depends on; events past the run's end
        are never emitted and so never counted."""
        event_id = self.ids.uuid()
        if time_ms < self.end_ms:
            event_time = self.clock.iso(time_ms)
            self._truth_add(event_type, event_time, payload)
            self._out.append(
                (
                    time_ms,
                    CONTEXT_CODE[context],
                    key.encode(),
                    _envelope(
                        event_id,
                        event_type,
                        version,
                        event_time,
                        context,
                        correlation_id,
                        causation_id,
                        payload,
                    ),
                )
            )
        return event_id

    def emit_shared(
        self,
        time_ms: int,
        context: str,
        event_type: str,
        key: str,
        payload: dict[str, Any],
        correlation_id: str,
        causation_id: str | None = None,
    ) -> str:
        """A world event (catalog, marketing): its id comes from the world RNG, so every region
        knows it; region 0 emits it, the others only let their truth observe it."""
        event_id = self.wids.uuid()
        if time_ms >= self.end_ms:
            return event_id
        if self.region == 0:
            event_time = self.clock.iso(time_ms)
            self._truth_add(event_type, event_time, payload)
            value = _envelope(
                event_id, event_type, 1, event_time, context, correlation_id, causation_id, payload
            )
            self._out.append((time_ms, CONTEXT_CODE[context], key.encode(), value))
        else:
            self.truth.observe(event_type, payload)
        return event_id

    # --- scheduling -------------------------------------------------------------------------------

    def at(self, time_ms: int, action: Callable[..., None], *args: Any) -> None:
        """Schedule `action(time_ms, *args)`; actions past the run's end never run."""
        if time_ms < self.end_ms:
            heapq.heappush(self._actions, (time_ms, next(self._action_seq), action, args))

    def run_until(self, end_ms: int) -> None:
        """Run the scheduled actions before `end_ms` in time order (ties: scheduling order)."""
        while self._actions and self._actions[0][0] < end_ms:
            time_ms, _, action, args = heapq.heappop(self._actions)
            action(time_ms, *args)

    def flush(self, horizon_ms: int) -> Iterator[Block]:
        """Events before `horizon_ms` in (time, emission order), in blocks of at most
        BLOCK_EVENTS; later ones wait for the next flush."""
        self._out.sort(key=TIME)  # stable: emission order among events of the same instant
        cut = bisect.bisect_left(self._out, horizon_ms, key=TIME)
        ready, self._out = self._out[:cut], self._out[cut:]
        for start in range(0, len(ready), BLOCK_EVENTS):
            yield Block.of(ready[start : start + BLOCK_EVENTS])

    # --- helpers shared by the contexts -----------------------------------------------------------

    def poisson(self, mean: float, rng: FastRandom | None = None) -> int:
        rng = rng or self.rng
        if mean <= 0:
            return 0
        if mean > 50:
            return max(0, round(rng.gauss(mean, math.sqrt(mean))))
        limit, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1

    def date(self, time_ms: int) -> str:
        return self.clock.iso(time_ms)[:10]

    def day_index(self, time_ms: int) -> int:
        return (time_ms - self.start_ms) // DAY_MS

    def geo(self, city_index: int) -> dict[str, Any]:
        return self._geo_by_city[city_index]

    def ip(self) -> str:
        r = self.rng.getrandbits(32)
        return f"{(r >> 24) % 223 + 1}.{(r >> 16) & 255}.{(r >> 8) & 255}.{r & 255}"


class Context:
    """A bounded context's part of the simulation: its state and the actions that emit its events.

    It shares the engine's RNG, ids, world and emission; other contexts are reached through the
    engine (`self.engine.orders`, ...) when an action runs, since the business calls both ways
    (an order asks for a payment, a failed payment cancels the order)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.config = engine.config
        self.rng = engine.rng
        self.ids = engine.ids
        self.world = engine.world
        self.emit = engine.emit
        self.emit_shared = engine.emit_shared
        self.at = engine.at
