"""The ACME business as a discrete-event simulation.

Actions (a session starting, a checkout, a parcel being delivered, a supplier delivery, ...) wait in
one heap ordered by simulated time; each action changes the world's state (stock, orders,
customers) and emits the domain events it causes. Running actions strictly in time order keeps
every stateful figure consistent (stock levels chain correctly, a cancelled order never ships).
One seeded RNG drives everything in a fixed order, so a seed reproduces a run exactly.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson

from simulator.block import BLOCK_EVENTS, CONTEXT_CODE, TIME, Block, Emitted
from simulator.config import ConfigError, SimulationConfig
from simulator.ids import DAY_MS, EPOCH, Clock, FastRandom, Ids, money, to_ms
from simulator.truth import TruthAccumulator
from simulator.world import (
    CARRIER_TRANSIT,
    CARRIERS,
    CHANNEL,
    CHANNEL_WEIGHTS,
    CHANNELS,
    DEVICE,
    HOUR_WEIGHTS,
    METHODS_BY_PROVIDER,
    OS_BY_DEVICE,
    PROVIDERS,
    STREET_KINDS,
    STREETS,
    UTM_SOURCE,
    Campaign,
    Customer,
    Product,
    Weighted,
    build_campaigns,
    build_world,
    day_factor,
    holidays,
    new_customer,
)

_dumps = orjson.dumps
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
CURRENCY = "USD"
TAX_RATES = {"CA": 725, "TX": 625, "NY": 400, "WA": 650, "FL": 600, "IL": 625}  # basis points
DEFAULT_TAX = 500
FREE_SHIPPING_FROM = 5000
SHIPPING_FEES = {"standard": 599, "express": 1299, "pickup": 0}
SLA_DAYS = {"standard": 5, "express": 2, "pickup": 3}
PAYMENT_FAILURES = (
    ("insufficient_funds", 30),
    ("card_declined", 40),
    ("authentication_failed", 20),
    ("provider_timeout", 10),
)
RETURN_REASONS = ("damaged", "wrong_item", "not_as_described", "changed_mind", "too_late")
_CUM_HOURS = list(itertools.accumulate(HOUR_WEIGHTS))


@dataclass(slots=True)
class Incident:
    """One injected anomaly, with the label anomaly detection is scored against."""

    kind: str
    start_ms: int
    end_ms: int
    description: str
    affected: dict[str, Any]


@dataclass(slots=True)
class Order:
    order_id: str
    customer: Customer
    session_id: str
    correlation_id: str
    warehouse: int
    lines: list[tuple[int, int, int, int, int]]  # (product, qty, unit_price, discount, total)
    total: int
    delivery_option: str
    is_fraud: bool
    payment_id: str = ""
    provider: str = ""
    shipment_id: str = ""
    carrier: str = ""
    promised_date: str = ""
    cancelled: bool = False
    shipped: bool = False


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


@dataclass(slots=True)
class _Inventory:
    on_hand: list[list[int]]
    reserved: list[list[int]]
    reorder_point: list[int]
    reorder_quantity: list[int]
    open_order: list[list[bool]] = field(default_factory=list)


class Engine:
    """Generates one fulfilment region's valid events, day by day, in event-time order.

    The world is split into `config.regions` regions, each owning warehouses (every
    `regions`-th one) and the customers of the cities those serve best; a customer only orders from
    their region's warehouses, so each region's stock, customers and orders are its own and
    regions can run in parallel processes. Shared facts (catalog, prices, promotions, campaigns,
    incidents) come from a world RNG that every region replays identically; region 0 alone emits
    them, the others only observe them. Each region counts its own truth (`truth`).
    """

    def __init__(self, config: SimulationConfig, region: int = 0) -> None:
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
        self._city_pick = Weighted(own_cities, [self.world.city_weights[i] for i in own_cities])
        self.region_share = sum(self.world.city_weights[i] for i in own_cities) / sum(
            self.world.city_weights
        )
        self.truth = TruthAccumulator()
        self.truth.open_window(config.start.date().isoformat())
        self._truth_add = self.truth.add
        self._actions: list[tuple[int, int, Callable[..., None], tuple[Any, ...]]] = []
        self._action_seq = itertools.count()
        self._out: list[Emitted] = []
        self._subcategory_names = sorted(self.world.subcategories)
        self._subcategory_cum: list[float] = []
        self._product_cum: dict[str, tuple[list[int], list[float]] | None] = {}
        self._customer_cum: list[float] = []
        self._promotions: dict[str, list[int]] = {}
        self._live_campaigns: dict[tuple[str, int], list[Campaign]] = {}
        self.incidents: list[Incident] = []
        self._total_popularity = sum(p.popularity for p in self.world.products)
        self._inventory = self._initial_inventory()
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

    def at(self, time_ms: int, action: Callable[..., None], *args: Any) -> None:
        """Schedule `action(time_ms, *args)`; actions past the run's end never run."""
        if time_ms < self.end_ms:
            heapq.heappush(self._actions, (time_ms, next(self._action_seq), action, args))

    def _flush(self, horizon_ms: int) -> Iterator[Block]:
        """Events before `horizon_ms` in (time, emission order), in blocks of at most
        BLOCK_EVENTS; later ones wait for the next flush."""
        self._out.sort(key=TIME)  # stable: emission order among events of the same instant
        cut = bisect.bisect_left(self._out, horizon_ms, key=TIME)
        ready, self._out = self._out[:cut], self._out[cut:]
        for start in range(0, len(ready), BLOCK_EVENTS):
            yield Block.of(ready[start : start + BLOCK_EVENTS])

    def days(self) -> Iterator[Block]:
        """The run: first the world's history before the window, then the days in turn."""
        self._bootstrap()
        yield from self._flush(self.start_ms)
        self._plan_incidents()
        for day in range(self.config.days):
            day_start = self.start_ms + day * DAY_MS
            day_end = day_start + DAY_MS
            self._plan_day(day, day_start)
            while self._actions and self._actions[0][0] < day_end:
                time_ms, _, action, args = heapq.heappop(self._actions)
                action(time_ms, *args)
            yield from self._flush(day_end)

    # --- helpers -----------------------------------------------------------------------------------

    def _poisson(self, mean: float, rng: FastRandom | None = None) -> int:
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

    def _date(self, time_ms: int) -> str:
        return self.clock.iso(time_ms)[:10]

    def _day_index(self, time_ms: int) -> int:
        return (time_ms - self.start_ms) // DAY_MS

    def _in_incident(self, kind: str, time_ms: int, **affected: Any) -> Incident | None:
        for incident in self.incidents:
            if (
                incident.kind == kind
                and incident.start_ms <= time_ms < incident.end_ms
                and all(incident.affected.get(k) == v for k, v in affected.items())
            ):
                return incident
        return None

    def _geo(self, city_index: int) -> dict[str, Any]:
        return self._geo_by_city[city_index]

    def _ip(self) -> str:
        r = self.rng.getrandbits(32)
        return f"{(r >> 24) % 223 + 1}.{(r >> 16) & 255}.{(r >> 8) & 255}.{r & 255}"

    def _street(self) -> str:
        rng = self.rng
        return f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}"

    def _postal_code(self) -> str:
        return f"{self.rng.randint(1000, 99950):05d}"

    # --- inventory ---------------------------------------------------------------------------------

    def _expected_daily_units(self, product: Product) -> float:
        orders_per_day = self.config.customers * self.config.visit_rate * 0.1
        return orders_per_day * 1.4 * product.popularity / self._total_popularity

    def _stock_targets(self, product: Product) -> tuple[int, int]:
        supplier = self.world.suppliers[product.supplier]
        per_warehouse = self._expected_daily_units(product) / self.config.warehouses
        reorder_point = max(2, math.ceil(per_warehouse * supplier.lead_time_days * 1.3))
        reorder_quantity = max(6, math.ceil(per_warehouse * 14))
        return reorder_point, reorder_quantity

    def _initial_inventory(self) -> _Inventory:
        warehouses = self.config.warehouses
        inventory = _Inventory(
            [[] for _ in range(warehouses)], [[] for _ in range(warehouses)], [], []
        )
        inventory.open_order = [[] for _ in range(warehouses)]
        for product in self.world.products:
            self._add_product_stock(inventory, product)
        return inventory

    def _add_product_stock(self, inventory: _Inventory, product: Product) -> None:
        reorder_point, reorder_quantity = self._stock_targets(product)
        inventory.reorder_point.append(reorder_point)
        inventory.reorder_quantity.append(reorder_quantity)
        for w in range(self.config.warehouses):
            own = w in self.own_warehouses
            inventory.on_hand[w].append(
                reorder_point + self.rng.randint(1, reorder_quantity) if own else 0
            )
            inventory.reserved[w].append(0)
            inventory.open_order[w].append(False)

    def available(self, w: int, p: int) -> int:
        return self._inventory.on_hand[w][p] - self._inventory.reserved[w][p]

    def _stock_event(
        self, time_ms: int, w: int, p: int, delta: int, reason: str, corr: str, cause: str | None
    ) -> str:
        inventory = self._inventory
        inventory.on_hand[w][p] += delta
        return self.emit(
            time_ms,
            "inventory",
            "StockLevelChanged",
            self.world.products[p].product_id,
            {
                "product_id": self.world.products[p].product_id,
                "warehouse_id": self.world.warehouses[w].warehouse_id,
                "quantity_delta": delta,
                "quantity_on_hand": inventory.on_hand[w][p],
                "quantity_available": self.available(w, p),
                "reason": reason,
            },
            corr,
            cause,
        )

    def _maybe_reorder(self, time_ms: int, w: int, p: int, corr: str, cause: str) -> None:
        inventory = self._inventory
        available = self.available(w, p)
        if inventory.open_order[w][p] or available > inventory.reorder_point[p]:
            return
        inventory.open_order[w][p] = True
        product = self.world.products[p]
        supplier = self.world.suppliers[product.supplier]
        quantity = inventory.reorder_quantity[p]
        trigger = self.emit(
            time_ms,
            "inventory",
            "ReorderTriggered",
            product.product_id,
            {
                "product_id": product.product_id,
                "warehouse_id": self.world.warehouses[w].warehouse_id,
                "quantity_available": available,
                "reorder_point": inventory.reorder_point[p],
                "reorder_quantity": quantity,
                "supplier_id": supplier.supplier_id,
            },
            corr,
            cause,
        )
        placed_at = time_ms + self.rng.randint(5, 120) * MINUTE_MS
        promised_days = max(1, round(supplier.lead_time_days))
        purchase_order_id = self.ids.uuid()
        self.emit(
            placed_at,
            "procurement",
            "PurchaseOrderPlaced",
            purchase_order_id,
            {
                "purchase_order_id": purchase_order_id,
                "supplier_id": supplier.supplier_id,
                "warehouse_id": self.world.warehouses[w].warehouse_id,
                "product_id": product.product_id,
                "supplier_name": supplier.name,
                "quantity": quantity,
                "unit_cost": money(product.cost),
                "currency": CURRENCY,
                "promised_date": self._date(placed_at + promised_days * DAY_MS),
            },
            purchase_order_id,
            trigger,
        )
        actual = max(1.0, self.rng.gauss(supplier.lead_time_days, supplier.lead_time_sd))
        if self.rng.random() > supplier.on_time_rate:
            actual += self.rng.expovariate(1 / 3)
        if self._in_incident("stockout_wave", time_ms, supplier_id=supplier.supplier_id):
            actual += self.rng.uniform(8, 14)
        arrival = placed_at + int(actual * DAY_MS)
        self.at(
            arrival,
            self._receive_purchase,
            w,
            p,
            purchase_order_id,
            quantity,
            placed_at,
            promised_days,
        )

    def _receive_purchase(
        self,
        time_ms: int,
        w: int,
        p: int,
        po_id: str,
        quantity: int,
        placed_at: int,
        promised_days: int,
    ) -> None:
        product = self.world.products[p]
        supplier = self.world.suppliers[product.supplier]
        received = (
            quantity
            if self.rng.random() < 0.93
            else max(0, int(quantity * self.rng.uniform(0.5, 0.95)))
        )
        cause = self.emit(
            time_ms,
            "procurement",
            "PurchaseOrderReceived",
            po_id,
            {
                "purchase_order_id": po_id,
                "supplier_id": supplier.supplier_id,
                "warehouse_id": self.world.warehouses[w].warehouse_id,
                "product_id": product.product_id,
                "quantity_ordered": quantity,
                "quantity_received": received,
                "promised_date": self._date(placed_at + promised_days * DAY_MS),
                "received_date": self._date(time_ms),
            },
            po_id,
        )
        self._inventory.open_order[w][p] = False
        if received:
            self._stock_event(time_ms + 1000, w, p, received, "receipt", po_id, cause)
        self._maybe_reorder(time_ms + 2000, w, p, po_id, cause)

    # --- bootstrap: the world as it stands when the window opens ------------------------------------

    def _bootstrap(self) -> None:
        rng = self.rng
        before = self.start_ms - 2 * DAY_MS
        for product in self.world.products:
            self._emit_product_created(before + product.index * 1000, product, self.wids.uuid())
        stock_time = self.start_ms - DAY_MS
        for p, product in enumerate(self.world.products):
            for w in self.own_warehouses:
                on_hand = self._inventory.on_hand[w][p]
                self._inventory.on_hand[w][p] = 0
                self._stock_event(
                    stock_time + p * 100 + w, w, p, on_hand, "initial", product.product_id, None
                )
        for campaign in self.world.campaigns:
            if campaign.start_day <= 0:
                self._launch_campaign(
                    self.start_ms + campaign.start_day * DAY_MS - HOUR_MS, campaign
                )
            else:
                self.at(
                    self.start_ms + campaign.start_day * DAY_MS + 8 * HOUR_MS,
                    self._launch_campaign,
                    campaign,
                )
        regions = self.config.regions
        for local in range(round(self.config.customers * self.region_share)):
            joined_day = -rng.randint(1, 365)
            index = self.region + regions * local  # unique across regions (e-mail addresses)
            customer = new_customer(rng, self.ids, index, self._city_pick, joined_day)
            self.world.customers.append(customer)
            when = self.start_ms + joined_day * DAY_MS + rng.randrange(DAY_MS)
            self._emit_registered(
                when, customer, customer.signup_channel, None, customer.customer_id, None
            )
        self._rebuild_customer_weights()

    def _emit_product_created(self, time_ms: int, product: Product, corr: str) -> str:
        return self.emit_shared(
            time_ms,
            "catalog",
            "ProductCreated",
            product.product_id,
            {
                "product_id": product.product_id,
                "sku": product.sku,
                "name": product.name,
                "brand": product.brand,
                "department": product.department,
                "category": product.category,
                "subcategory": product.subcategory,
                "price": money(product.price),
                "cost": money(product.cost),
                "currency": CURRENCY,
                "seller_id": product.seller_id,
            },
            corr,
        )

    def _launch_campaign(self, time_ms: int, campaign: Campaign) -> None:
        self.emit_shared(
            time_ms,
            "marketing",
            "CampaignLaunched",
            campaign.campaign_id,
            {
                "campaign_id": campaign.campaign_id,
                "name": campaign.name,
                "channel": campaign.channel,
                "utm_campaign": campaign.utm_campaign,
                "start_date": self._date(self.start_ms + campaign.start_day * DAY_MS),
                "end_date": self._date(self.start_ms + campaign.end_day * DAY_MS),
                "budget": money(campaign.daily_budget * (campaign.end_day - campaign.start_day)),
                "currency": CURRENCY,
            },
            campaign.campaign_id,
        )

    def _emit_registered(
        self,
        time_ms: int,
        customer: Customer,
        channel: str,
        campaign_id: str | None,
        corr: str,
        cause: str | None,
    ) -> str:
        return self.emit(
            time_ms,
            "customers",
            "CustomerRegistered",
            customer.customer_id,
            {
                "customer_id": customer.customer_id,
                "email": customer.email,
                "first_name": customer.first_name,
                "last_name": customer.last_name,
                "phone": customer.phone,
                "street": self._street(),
                "postal_code": self._postal_code(),
                **self._geo(customer.city),
                "signup_channel": channel,
                "campaign_id": campaign_id,
                "ip_address": self._ip(),
                "marketing_opt_in": customer.opted_in,
                "birth_year": self.rng.randint(1945, 2006),
            },
            corr,
            cause,
        )

    def _rebuild_customer_weights(self) -> None:
        self._customer_cum = list(itertools.accumulate(c.engagement for c in self.world.customers))

    # --- incidents -------------------------------------------------------------------------------

    def _plan_incidents(self) -> None:
        if not self.config.incidents:
            return
        rng = self.wrng
        days = self.config.days

        def window(hours_low: int, hours_high: int) -> tuple[int, int]:
            start = self.start_ms + rng.randrange(days) * DAY_MS + rng.randint(8, 16) * HOUR_MS
            return start, start + rng.randint(hours_low, hours_high) * HOUR_MS

        provider = rng.choice(PROVIDERS[:2])
        start, end = window(2, 4)
        self.incidents.append(
            Incident(
                "payment_provider_outage",
                start,
                end,
                f"{provider} rejects every payment",
                {"provider": provider},
            )
        )
        start, end = window(2, 3)
        self.incidents.append(
            Incident(
                "traffic_spike",
                start,
                end,
                "a social post goes viral: 4x sessions from social",
                {"channel": "social", "multiplier": 4},
            )
        )
        category = rng.choice(sorted({p.category for p in self.world.products}))
        start, end = window(3, 5)
        self.incidents.append(
            Incident(
                "pricing_bug",
                start,
                end,
                f"prices in {category} published at 10% of list",
                {"category": category},
            )
        )
        carrier = rng.choice(CARRIERS)
        start, end = window(24, 48)
        self.incidents.append(
            Incident(
                "carrier_delay",
                start,
                end,
                f"{carrier} parcels shipped in the window arrive 3-5 days late",
                {"carrier": carrier},
            )
        )
        supplier = rng.choice(self.world.suppliers)
        start, end = window(72, 120)
        self.incidents.append(
            Incident(
                "stockout_wave",
                start,
                end,
                f"a warehouse write-off empties {supplier.name}'s products and its deliveries slip 8-14 days",
                {
                    "supplier_id": supplier.supplier_id,
                    "warehouse_id": self.world.warehouses[0].warehouse_id,
                },
            )
        )
        for incident in self.incidents:
            self.at(incident.start_ms, self._start_incident, incident)
            if incident.kind == "pricing_bug":
                self.at(incident.end_ms, self._end_pricing_bug, incident)

    def _start_incident(self, time_ms: int, incident: Incident) -> None:
        if incident.kind == "traffic_spike":
            base = self.config.customers * self.region_share * self.config.visit_rate / 24
            extra = self._poisson(
                base
                * (incident.affected["multiplier"] - 1)
                * (incident.end_ms - incident.start_ms)
                / HOUR_MS
            )
            for _ in range(extra):
                when = self.rng.randint(incident.start_ms, incident.end_ms - 1)
                customer = self._pick_customer(self._day_index(when))
                self.at(when, self._session, customer, False, "social")
        elif incident.kind == "pricing_bug":
            for product in self.world.products:
                if product.category == incident.affected["category"] and product.active:
                    self._set_price(
                        time_ms,
                        product,
                        max(1, product.price // 10),
                        "pricing_error",
                        product.promotion_code,
                    )
        elif incident.kind == "stockout_wave" and 0 in self.own_warehouses:
            corr = self.ids.uuid()
            for p, product in enumerate(self.world.products):
                if (
                    self.world.suppliers[product.supplier].supplier_id
                    == incident.affected["supplier_id"]
                ):
                    loss = self.available(0, p)
                    if loss > 0:
                        cause = self._stock_event(
                            time_ms + p, 0, p, -loss, "adjustment", corr, None
                        )
                        self._maybe_reorder(time_ms + p + 1, 0, p, corr, cause)

    def _end_pricing_bug(self, time_ms: int, incident: Incident) -> None:
        for product in self.world.products:
            if product.category == incident.affected["category"] and product.active:
                price = product.base_price
                if product.promotion_code:
                    price = self._promotion_price(product)
                self._set_price(time_ms, product, price, "pricing_fix", product.promotion_code)

    # --- a day's plan -------------------------------------------------------------------------------

    def _plan_day(self, day: int, day_start: int) -> None:
        rng = self.rng
        day_date = (EPOCH + timedelta(milliseconds=day_start)).date()
        factor = day_factor(day_date)
        midnight = day_start - day_start % DAY_MS
        active = sum(1 for c in self.world.customers if c.churn_day > day)
        visits = self._poisson(active * self.config.visit_rate * factor)
        share = self.config.anonymous_share
        anonymous = self._poisson(visits * share / (1 - share))
        signups = self._poisson(max(1.0, len(self.world.customers) * 0.003 * factor))

        def time_of_day(rng: FastRandom = rng) -> int:
            hour = bisect.bisect_right(_CUM_HOURS, rng.random() * _CUM_HOURS[-1])
            when = midnight + hour * HOUR_MS + rng.randrange(HOUR_MS)
            return when if when >= day_start else when + DAY_MS

        for _ in range(visits):
            customer = self._pick_customer(day)
            self.at(time_of_day(), self._session, customer, False, None)
        for _ in range(anonymous):
            self.at(time_of_day(), self._session, None, False, None)
        for _ in range(signups):
            self.at(time_of_day(), self._session, None, True, None)
        # Catalog life (world RNG: every region replays it): repricing, promotions,
        # re-categorisation, withdrawals, new products.
        world = self.wrng
        for _ in range(max(1, round(len(self.world.products) * 0.004))):
            self.at(time_of_day(world), self._reprice)
        if world.random() < 0.35:
            six = midnight + 6 * HOUR_MS
            self.at(six if six >= day_start else time_of_day(world), self._start_promotion)
        if world.random() < 0.3:
            self.at(time_of_day(world), self._recategorize)
        if world.random() < 0.35:
            self.at(time_of_day(world), self._withdraw_product)
        if world.random() < 0.3:
            self.at(time_of_day(world), self._launch_product)
        for _ in range(self._poisson(len(self.world.customers) * 0.002)):
            self.at(time_of_day(), self._update_profile)
        for _ in range(self._poisson(len(self.world.customers) * 0.001)):
            self.at(time_of_day(), self._change_preferences)
        spend_time = day_start + DAY_MS - 5 * MINUTE_MS
        self.at(spend_time, self._report_spend, day)

    def _pick_customer(self, day: int) -> Customer:
        """An active customer, drawn by engagement (a few redraws skip churned customers)."""
        cum, customers = self._customer_cum, self.world.customers
        for _ in range(8):
            customer = customers[
                min(bisect.bisect_right(cum, self.rng.random() * cum[-1]), len(cum) - 1)
            ]
            if customer.churn_day > day:
                break
        return customer

    # --- storefront sessions --------------------------------------------------------------------

    def _choose_product(self) -> Product:
        rng = self.rng
        if not self._subcategory_cum:
            self._subcategory_cum = list(
                itertools.accumulate(
                    sum(self.world.products[i].popularity for i in self.world.subcategories[s])
                    + 0.01
                    for s in self._subcategory_names
                )
            )
        cum = self._subcategory_cum
        sub = self._subcategory_names[bisect.bisect_right(cum, rng.random() * cum[-1])]
        cached = self._product_cum.get(sub)
        if cached is None:
            members = [i for i in self.world.subcategories[sub] if self.world.products[i].active]
            if not members:
                members = [next(p.index for p in self.world.products if p.active)]
            weights = [self._attractiveness(self.world.products[i]) for i in members]
            cached = (members, list(itertools.accumulate(weights)))
            self._product_cum[sub] = cached
        members, weights = cached
        return self.world.products[
            members[bisect.bisect_right(weights, rng.random() * weights[-1])]
        ]

    @staticmethod
    def _attractiveness(product: Product) -> float:
        """Demand weight: popularity times the price response; discounts pull share from the
        product's siblings (cannibalisation) and lift the subcategory (uplift)."""
        response: float = (product.price / product.base_price) ** -product.elasticity
        return product.popularity * min(4.0, response)

    def _in_stock_somewhere(self, p: int, city_index: int) -> bool:
        on_hand, reserved = self._inventory.on_hand, self._inventory.reserved
        for w in self.world.cities[city_index].warehouse_order:
            if on_hand[w][p] > reserved[w][p]:
                return True
        return False

    def _session(
        self, time_ms: int, customer: Customer | None, registers: bool, channel: str | None
    ) -> None:
        rng = self.rng
        day = self._day_index(time_ms)
        if customer is not None and customer.churn_day <= day:
            return  # churned: this customer no longer visits
        session_id = self.ids.uuid()
        if channel is None:
            channel = (customer.channels if customer is not None else CHANNEL).pick(rng)
        campaign = self._campaign_for(channel, day) if channel in UTM_SOURCE else None
        if customer is None:
            city = self._city_pick.pick(rng)
            device = DEVICE.pick(rng)
            os_name, browser, anonymous_id = (
                rng.choice(OS_BY_DEVICE[device]),
                rng.choice(("Chrome", "Safari")),
                self.ids.uuid(),
            )
        else:
            city, device, os_name, browser = (
                customer.city,
                customer.device,
                customer.os,
                customer.browser,
            )
            anonymous_id = customer.anonymous_id
        source, medium = UTM_SOURCE.get(channel, (None, None)) if campaign else (None, None)
        ip = self._ip()
        cause = self.emit(
            time_ms,
            "storefront",
            "SessionStarted",
            session_id,
            {
                "session_id": session_id,
                "customer_id": customer.customer_id if customer else None,
                "anonymous_id": anonymous_id,
                "device_type": device,
                "os": os_name,
                "browser": browser,
                "channel": channel,
                "campaign_id": campaign.campaign_id if campaign else None,
                "utm_source": source,
                "utm_medium": medium,
                "utm_campaign": campaign.utm_campaign if campaign else None,
                "ip_address": ip,
                **self._geo(city),
            },
            session_id,
        )
        t = time_ms
        if registers:
            index = self.region + self.config.regions * len(self.world.customers)
            customer = new_customer(rng, self.ids, index, self._city_pick, day)
            customer.city, customer.device, customer.os, customer.browser = (
                city,
                device,
                os_name,
                browser,
            )
            customer.anonymous_id = anonymous_id
            self.world.customers.append(customer)
            self._customer_cum.append(self._customer_cum[-1] + customer.engagement)
            t += rng.randint(20, 180) * 1000
            self._emit_registered(
                t, customer, channel, campaign.campaign_id if campaign else None, session_id, cause
            )
        customer_id = customer.customer_id if customer else None
        t += rng.randint(1, 5) * 1000
        self.emit(
            t,
            "storefront",
            "PageViewed",
            session_id,
            {"session_id": session_id, "customer_id": customer_id, "page_type": "home", "url": "/"},
            session_id,
            cause,
        )
        viewed: list[Product] = []
        for _ in range(1 + min(12, int(rng.expovariate(1 / 3)))):
            t += int(rng.expovariate(1 / 40_000)) + 1000
            product = self._choose_product()
            if rng.random() < 0.3:
                self.emit(
                    t,
                    "storefront",
                    "SearchPerformed",
                    session_id,
                    {
                        "session_id": session_id,
                        "customer_id": customer_id,
                        "query": product.subcategory.lower(),
                        "result_count": len(self.world.subcategories[product.subcategory]),
                    },
                    session_id,
                    cause,
                )
                t += rng.randint(2, 15) * 1000
            in_stock = self._in_stock_somewhere(product.index, city)
            self.emit(
                t,
                "storefront",
                "ProductViewed",
                session_id,
                {
                    "session_id": session_id,
                    "customer_id": customer_id,
                    "product_id": product.product_id,
                    "price": money(product.price),
                    "currency": CURRENCY,
                    "is_in_stock": in_stock,
                },
                session_id,
                cause,
            )
            if in_stock:
                viewed.append(product)
        if customer is None or not viewed:
            return
        lift = min(3.0, sum(self._attractiveness(p) / p.popularity for p in viewed) / len(viewed))
        if rng.random() >= 0.22 * lift * (1.2 if customer.orders else 1.0):
            return
        self._fill_cart(t, customer, session_id, channel, campaign, viewed, device, cause)

    def _campaign_for(self, channel: str, day: int) -> Campaign | None:
        live = self._live_campaigns.get((channel, day))
        if live is None:  # once per channel and day: the campaign list is fixed for the run
            live = [
                c
                for c in self.world.campaigns
                if c.channel == channel and c.start_day <= day < c.end_day
            ]
            self._live_campaigns[(channel, day)] = live
        if not live or self.rng.random() > 0.85:
            return None
        return self.rng.choice(live)

    def _fill_cart(
        self,
        t: int,
        customer: Customer,
        session_id: str,
        channel: str,
        campaign: Campaign | None,
        viewed: list[Product],
        device: str,
        cause: str,
    ) -> None:
        rng = self.rng
        cart_id = self.ids.uuid()
        t += rng.randint(5, 60) * 1000
        self.emit(
            t,
            "cart",
            "CartCreated",
            cart_id,
            {
                "cart_id": cart_id,
                "session_id": session_id,
                "customer_id": customer.customer_id,
                "currency": CURRENCY,
            },
            session_id,
            cause,
        )
        picks = [viewed[-1], *[p for p in viewed[:-1] if rng.random() < 0.3][:3]]
        lines: dict[int, int] = {}
        for product in picks:
            if product.index in lines:
                continue
            quantity = rng.choices((1, 2, 3), weights=(85, 12, 3))[0]
            lines[product.index] = quantity
            t += rng.randint(3, 90) * 1000
            self.emit(
                t,
                "cart",
                "ItemAdded",
                cart_id,
                {
                    "cart_id": cart_id,
                    "customer_id": customer.customer_id,
                    "product_id": product.product_id,
                    "quantity": quantity,
                    "unit_price": money(product.price),
                    "currency": CURRENCY,
                },
                session_id,
                cause,
            )
        if len(lines) > 1 and rng.random() < 0.15:
            removed = next(iter(lines))
            t += rng.randint(5, 120) * 1000
            self.emit(
                t,
                "cart",
                "ItemRemoved",
                cart_id,
                {
                    "cart_id": cart_id,
                    "customer_id": customer.customer_id,
                    "product_id": self.world.products[removed].product_id,
                    "quantity": lines.pop(removed),
                },
                session_id,
                cause,
            )
        convert = 0.42 if device == "desktop" else 0.33
        if rng.random() < convert:
            self.at(
                t + int(rng.expovariate(1 / 90_000)) + 5000,
                self._checkout,
                customer,
                session_id,
                channel,
                campaign,
                cart_id,
                lines,
                cause,
            )
        else:
            self.at(t + HOUR_MS, self._abandon, customer, session_id, cart_id, lines, t, cause)

    def _cart_value(self, lines: dict[int, int]) -> int:
        return sum(self.world.products[p].price * q for p, q in lines.items())

    def _abandon(
        self,
        time_ms: int,
        customer: Customer,
        session_id: str,
        cart_id: str,
        lines: dict[int, int],
        last_activity: int,
        cause: str,
    ) -> None:
        abandoned = self.emit(
            time_ms,
            "cart",
            "CartAbandoned",
            cart_id,
            {
                "cart_id": cart_id,
                "customer_id": customer.customer_id,
                "item_count": sum(lines.values()),
                "cart_value": money(self._cart_value(lines)),
                "currency": CURRENCY,
                "last_activity_at": self.clock.iso(last_activity),
            },
            session_id,
            cause,
        )
        if customer.opted_in and self.rng.random() < 0.5:
            self._notify(
                time_ms + self.rng.randint(1, 30) * MINUTE_MS,
                customer,
                "cart_reminder",
                cart_id,
                session_id,
                abandoned,
            )

    # --- orders and payments --------------------------------------------------------------------

    def _checkout(
        self,
        time_ms: int,
        customer: Customer,
        session_id: str,
        channel: str,
        campaign: Campaign | None,
        cart_id: str,
        lines: dict[int, int],
        cause: str,
    ) -> None:
        rng = self.rng
        city = self.world.cities[customer.city]
        warehouse = next(
            (
                w
                for w in city.warehouse_order
                if all(self.available(w, p) >= q for p, q in lines.items())
            ),
            None,
        )
        if warehouse is None:
            warehouse = city.warehouse_order[0]
            lines = {p: q for p, q in lines.items() if self.available(warehouse, p) >= q}
        lines = {p: q for p, q in lines.items() if self.world.products[p].active}
        if not lines:
            self._abandon(time_ms, customer, session_id, cart_id, lines, time_ms, cause)
            return
        code, rate = None, 0
        if customer.orders == 0 and channel == "email":
            code, rate = "WELCOME10", 10
        elif rng.random() < 0.06:
            code, rate = "SAVE15", 15
        order_lines = []
        for p, q in lines.items():
            product = self.world.products[p]
            gross = product.price * q
            discount = (gross * rate + 50) // 100
            order_lines.append((p, q, product.price, discount, gross - discount))
        subtotal = sum(line[4] for line in order_lines)
        version = 2 if time_ms >= self.v2_from_ms else 1
        option = (
            rng.choices(("standard", "express", "pickup"), weights=(75, 20, 5))[0]
            if version == 2
            else "standard"
        )
        shipping = (
            0 if subtotal >= FREE_SHIPPING_FROM and option == "standard" else SHIPPING_FEES[option]
        )
        tax = (subtotal * TAX_RATES.get(city.region, DEFAULT_TAX) + 5000) // 10_000
        order = Order(
            self.ids.uuid(),
            customer,
            session_id,
            session_id,
            warehouse,
            order_lines,
            subtotal + shipping + tax,
            option,
            rng.random() < 0.006,
        )
        payload: dict[str, Any] = {
            "order_id": order.order_id,
            "customer_id": customer.customer_id,
            "cart_id": cart_id,
            "session_id": session_id,
            "warehouse_id": self.world.warehouses[warehouse].warehouse_id,
            "currency": CURRENCY,
            "lines": [
                {
                    "line_number": n,
                    "product_id": self.world.products[p].product_id,
                    "seller_id": self.world.products[p].seller_id,
                    "quantity": q,
                    "unit_price": money(unit),
                    "discount": money(discount),
                    "line_total": money(total),
                    "promotion_code": self.world.products[p].promotion_code
                    or (code if discount else None),
                }
                for n, (p, q, unit, discount, total) in enumerate(order_lines, start=1)
            ],
            "subtotal": money(subtotal),
            "shipping_fee": money(shipping),
            "tax": money(tax),
            "order_total": money(order.total),
            "promotion_code": code,
            "shipping_city": city.name,
            "shipping_region": city.region,
            "shipping_country": city.country,
        }
        if version == 2:
            payload["delivery_option"] = option
        placed = self.emit(
            time_ms, "orders", "OrderPlaced", order.order_id, payload, session_id, cause, version
        )
        self.emit(
            time_ms + 200,
            "cart",
            "CartConverted",
            cart_id,
            {"cart_id": cart_id, "customer_id": customer.customer_id, "order_id": order.order_id},
            session_id,
            placed,
        )
        for p, q, *_ in order_lines:
            self._inventory.reserved[warehouse][p] += q
            product = self.world.products[p]
            reserved = self.emit(
                time_ms + 300,
                "inventory",
                "StockReserved",
                product.product_id,
                {
                    "product_id": product.product_id,
                    "warehouse_id": self.world.warehouses[warehouse].warehouse_id,
                    "order_id": order.order_id,
                    "quantity": q,
                    "quantity_available": self.available(warehouse, p),
                },
                session_id,
                placed,
            )
            self._maybe_reorder(time_ms + 400, warehouse, p, session_id, reserved)
        self.at(
            time_ms + rng.randint(2, 20) * 1000,
            self._pay,
            order,
            1,
            customer.provider,
            customer.method,
            placed,
        )

    def _pay(
        self, time_ms: int, order: Order, attempt: int, provider: str, method: str, cause: str
    ) -> None:
        rng = self.rng
        payment_id = self.ids.uuid()
        base = {
            "payment_id": payment_id,
            "order_id": order.order_id,
            "customer_id": order.customer.customer_id,
            "amount": money(order.total),
            "currency": CURRENCY,
            "provider": provider,
            "method": method,
            "attempt": attempt,
        }
        corr = order.correlation_id
        initiated = self.emit(
            time_ms, "payments", "PaymentInitiated", payment_id, dict(base), corr, cause
        )
        done = time_ms + rng.randint(500, 8000)
        failure = None
        if self._in_incident("payment_provider_outage", time_ms, provider=provider):
            failure = "provider_unavailable"
        elif order.is_fraud and rng.random() < 0.35:
            failure = "fraud_suspected"
        elif rng.random() < 0.04:
            failure = rng.choices(
                [r for r, _ in PAYMENT_FAILURES], weights=[w for _, w in PAYMENT_FAILURES]
            )[0]
        if failure is not None:
            failed = self.emit(
                done,
                "payments",
                "PaymentFailed",
                payment_id,
                base | {"failure_reason": failure},
                corr,
                initiated,
            )
            if attempt < 3 and failure != "fraud_suspected" and rng.random() < 0.65:
                if failure == "provider_unavailable" or rng.random() < 0.3:
                    provider = rng.choice([p for p in PROVIDERS if p != provider])
                    method = rng.choice(METHODS_BY_PROVIDER[provider])
                self.at(
                    done + rng.randint(30, 300) * 1000,
                    self._pay,
                    order,
                    attempt + 1,
                    provider,
                    method,
                    failed,
                )
                return
            reason = "fraud_suspected" if failure == "fraud_suspected" else "payment_failed"
            self._cancel(done + 2000, order, reason, failed)
            return
        score = rng.uniform(0.55, 0.95) if order.is_fraud else rng.betavariate(1.2, 12)
        completed = self.emit(
            done,
            "payments",
            "PaymentCompleted",
            payment_id,
            base | {"fraud_score": round(score, 4)},
            corr,
            initiated,
        )
        order.payment_id, order.provider = payment_id, provider
        order.customer.orders += 1
        confirmed = self.emit(
            done + 500,
            "orders",
            "OrderConfirmed",
            order.order_id,
            {
                "order_id": order.order_id,
                "customer_id": order.customer.customer_id,
                "payment_id": payment_id,
            },
            corr,
            completed,
        )
        self._notify(
            done + rng.randint(2, 60) * 1000,
            order.customer,
            "order_confirmation",
            order.order_id,
            corr,
            confirmed,
        )
        if rng.random() < 0.025:
            self.at(
                done + rng.randint(20, 360) * MINUTE_MS, self._customer_cancels, order, confirmed
            )
        self.at(
            done + rng.randint(60, 18 * 60) * MINUTE_MS, self._create_shipment, order, confirmed
        )
        if order.is_fraud:
            self.at(
                done + rng.randint(15, 45) * DAY_MS,
                self._refund,
                order,
                order.total,
                "chargeback",
                None,
                confirmed,
            )
        elif rng.random() < 0.03:
            self.at(done + rng.randint(2, 8) * MINUTE_MS, self._modify, order, confirmed)

    def _modify(self, time_ms: int, order: Order, cause: str) -> None:
        if order.shipped or order.cancelled:
            return
        option = self.rng.choice(("standard", "express"))
        self.emit(
            time_ms,
            "orders",
            "OrderModified",
            order.order_id,
            {
                "order_id": order.order_id,
                "customer_id": order.customer.customer_id,
                "modification": "delivery_option_changed",
                "delivery_option": option,
                "shipping_city": None,
                "shipping_region": None,
                "shipping_country": None,
            },
            order.correlation_id,
            cause,
        )
        order.delivery_option = option

    def _cancel(self, time_ms: int, order: Order, reason: str, cause: str) -> str:
        order.cancelled = True
        cancelled = self.emit(
            time_ms,
            "orders",
            "OrderCancelled",
            order.order_id,
            {
                "order_id": order.order_id,
                "customer_id": order.customer.customer_id,
                "reason": reason,
            },
            order.correlation_id,
            cause,
        )
        release_reason = (
            "payment_failed"
            if reason in ("payment_failed", "fraud_suspected")
            else "order_cancelled"
        )
        for p, q, *_ in order.lines:
            self._inventory.reserved[order.warehouse][p] -= q
            product = self.world.products[p]
            self.emit(
                time_ms + 100,
                "inventory",
                "StockReleased",
                product.product_id,
                {
                    "product_id": product.product_id,
                    "warehouse_id": self.world.warehouses[order.warehouse].warehouse_id,
                    "order_id": order.order_id,
                    "quantity": q,
                    "quantity_available": self.available(order.warehouse, p),
                    "reason": release_reason,
                },
                order.correlation_id,
                cancelled,
            )
        return cancelled

    def _customer_cancels(self, time_ms: int, order: Order, cause: str) -> None:
        if order.shipped or order.cancelled:
            return
        cancelled = self._cancel(time_ms, order, "customer_request", cause)
        self.at(
            time_ms + self.rng.randint(1, 48) * HOUR_MS,
            self._refund,
            order,
            order.total,
            "cancellation",
            None,
            cancelled,
        )

    def _refund(
        self,
        time_ms: int,
        order: Order,
        amount: int,
        reason: str,
        return_id: str | None,
        cause: str,
    ) -> None:
        refund_id = self.ids.uuid()
        refunded = self.emit(
            time_ms,
            "payments",
            "RefundProcessed",
            order.payment_id,
            {
                "refund_id": refund_id,
                "payment_id": order.payment_id,
                "order_id": order.order_id,
                "customer_id": order.customer.customer_id,
                "amount": money(amount),
                "currency": CURRENCY,
                "provider": order.provider,
                "reason": reason,
                "return_id": return_id,
            },
            order.correlation_id,
            cause,
        )
        if reason != "chargeback":
            self._notify(
                time_ms + 60_000,
                order.customer,
                "refund_confirmation",
                refund_id,
                order.correlation_id,
                refunded,
            )

    # --- fulfilment -------------------------------------------------------------------------------

    def _create_shipment(self, time_ms: int, order: Order, cause: str) -> None:
        if order.cancelled:
            return
        rng = self.rng
        order.shipment_id = self.ids.uuid()
        city = self.world.cities[order.customer.city]
        order.carrier = city.carrier if rng.random() < 0.7 else rng.choice(CARRIERS)
        order.promised_date = self._date(time_ms + SLA_DAYS[order.delivery_option] * DAY_MS)
        created = self.emit(
            time_ms,
            "shipping",
            "ShipmentCreated",
            order.shipment_id,
            {
                "shipment_id": order.shipment_id,
                "order_id": order.order_id,
                "carrier": order.carrier,
                "warehouse_id": self.world.warehouses[order.warehouse].warehouse_id,
                "service_level": order.delivery_option,
                "item_count": sum(line[1] for line in order.lines),
                "promised_delivery_date": order.promised_date,
            },
            order.correlation_id,
            cause,
        )
        self.at(time_ms + rng.randint(4, 30) * HOUR_MS, self._ship, order, created)

    def _ship(self, time_ms: int, order: Order, cause: str) -> None:
        if order.cancelled:
            return
        rng = self.rng
        order.shipped = True
        shipped = self.emit(
            time_ms,
            "shipping",
            "ShipmentShipped",
            order.shipment_id,
            {
                "shipment_id": order.shipment_id,
                "order_id": order.order_id,
                "carrier": order.carrier,
                "tracking_number": f"{order.carrier.upper()}{rng.randrange(10**11, 10**12)}",
            },
            order.correlation_id,
            cause,
        )
        for p, q, *_ in order.lines:
            self._inventory.reserved[order.warehouse][p] -= q
            self._stock_event(
                time_ms + 50, order.warehouse, p, -q, "sale", order.correlation_id, shipped
            )
        self._notify(
            time_ms + 120_000,
            order.customer,
            "shipping_update",
            order.order_id,
            order.correlation_id,
            shipped,
        )
        mean, sd = CARRIER_TRANSIT[order.carrier]
        days = max(1.0, rng.gauss(mean, sd)) * (0.5 if order.delivery_option == "express" else 1.0)
        if self._in_incident("carrier_delay", time_ms, carrier=order.carrier):
            days += rng.uniform(3, 5)
        arrival_day = (time_ms + int(days * DAY_MS)) // DAY_MS * DAY_MS
        self.at(
            arrival_day + rng.randint(9 * 60, 20 * 60) * MINUTE_MS, self._deliver, order, shipped
        )

    def _deliver(self, time_ms: int, order: Order, cause: str) -> None:
        rng = self.rng
        delivered = self.emit(
            time_ms,
            "shipping",
            "ShipmentDelivered",
            order.shipment_id,
            {
                "shipment_id": order.shipment_id,
                "order_id": order.order_id,
                "carrier": order.carrier,
                "promised_delivery_date": order.promised_date,
            },
            order.correlation_id,
            cause,
        )
        self._notify(
            time_ms + 60_000,
            order.customer,
            "delivery_confirmation",
            order.order_id,
            order.correlation_id,
            delivered,
        )
        late = self._date(time_ms) > order.promised_date
        for number, (p, q, _, _, total) in enumerate(order.lines, start=1):
            if rng.random() < self.world.products[p].return_rate + (0.08 if late else 0):
                returned = rng.randint(1, q)
                self.at(
                    time_ms + rng.randint(1, 13) * DAY_MS + rng.randrange(DAY_MS),
                    self._return,
                    order,
                    number,
                    p,
                    returned,
                    total * returned // q,
                    late,
                    delivered,
                )

    def _return(
        self,
        time_ms: int,
        order: Order,
        line_number: int,
        p: int,
        quantity: int,
        amount: int,
        late: bool,
        cause: str,
    ) -> None:
        rng = self.rng
        return_id = self.ids.uuid()
        reason = "too_late" if late and rng.random() < 0.5 else rng.choice(RETURN_REASONS[:4])
        initiated = self.emit(
            time_ms,
            "shipping",
            "ReturnInitiated",
            return_id,
            {
                "return_id": return_id,
                "order_id": order.order_id,
                "shipment_id": order.shipment_id,
                "customer_id": order.customer.customer_id,
                "product_id": self.world.products[p].product_id,
                "line_number": line_number,
                "quantity": quantity,
                "refund_amount": money(amount),
                "currency": CURRENCY,
                "reason": reason,
            },
            order.correlation_id,
            cause,
        )
        received = time_ms + rng.randint(2, 6) * DAY_MS
        self.at(
            received,
            self._restock,
            order.warehouse,
            p,
            quantity,
            reason,
            order.correlation_id,
            initiated,
        )
        self.at(received + HOUR_MS, self._refund, order, amount, "return", return_id, initiated)

    def _restock(
        self, time_ms: int, w: int, p: int, quantity: int, reason: str, corr: str, cause: str
    ) -> None:
        if reason != "damaged":
            self._stock_event(time_ms, w, p, quantity, "return", corr, cause)

    # --- notifications ----------------------------------------------------------------------------

    def _notify(
        self,
        time_ms: int,
        customer: Customer,
        template: str,
        related: str | None,
        corr: str,
        cause: str,
    ) -> None:
        rng = self.rng
        notification_id = self.ids.uuid()
        base = {
            "notification_id": notification_id,
            "customer_id": customer.customer_id,
            "channel": customer.notify_channel,
        }
        sent = self.emit(
            time_ms,
            "notifications",
            "NotificationSent",
            notification_id,
            base | {"template": template, "related_id": related},
            corr,
            cause,
        )
        later = time_ms + rng.randint(1, 120) * 1000
        if rng.random() < 0.05:
            reason = rng.choice(("bounced", "invalid_address", "provider_error", "unsubscribed"))
            self.emit(
                later,
                "notifications",
                "NotificationFailed",
                notification_id,
                base | {"failure_reason": reason},
                corr,
                sent,
            )
        else:
            self.emit(
                later,
                "notifications",
                "NotificationDelivered",
                notification_id,
                dict(base),
                corr,
                sent,
            )

    # --- catalog and customer life --------------------------------------------------------------

    def _set_price(
        self, time_ms: int, product: Product, price: int, reason: str, code: str | None
    ) -> None:
        previous, product.price = product.price, price
        self._product_cum[product.subcategory] = None
        self.emit_shared(
            time_ms,
            "catalog",
            "ProductUpdated",
            product.product_id,
            {
                "product_id": product.product_id,
                "price": money(price),
                "previous_price": money(previous),
                "cost": money(product.cost),
                "currency": CURRENCY,
                "change_reason": reason,
                "promotion_code": code,
            },
            product.product_id,
        )

    def _active_products(self) -> list[Product]:
        return [p for p in self.world.products if p.active]

    def _reprice(self, time_ms: int) -> None:
        product = self.wrng.choice(self._active_products())
        if product.promotion_code or self._in_incident(
            "pricing_bug", time_ms, category=product.category
        ):
            return
        price = round(product.base_price * self.wrng.uniform(0.85, 1.15))
        price = max(99, price - price % 100 + 99)
        product.base_price = price  # a repricing moves the list price itself
        self._set_price(time_ms, product, price, "repricing", None)

    def _promotion_price(self, product: Product) -> int:
        percent = int(product.promotion_code.rsplit("-", 1)[-1]) if product.promotion_code else 0
        return product.base_price * (100 - percent) // 100

    def _start_promotion(self, time_ms: int) -> None:
        rng = self.wrng
        subcategory = rng.choice(self._subcategory_names)
        if subcategory in self._promotions:
            return
        members = [
            i for i in self.world.subcategories[subcategory] if self.world.products[i].active
        ]
        chosen = rng.sample(members, k=max(1, len(members) // 2)) if members else []
        percent = rng.choice((10, 15, 20, 25, 30))
        code = f"PROMO-{subcategory.upper().replace(' ', '')[:10]}-{percent}"
        self._promotions[subcategory] = chosen
        for i in chosen:
            product = self.world.products[i]
            product.promotion_code = code
            if not self._in_incident("pricing_bug", time_ms, category=product.category):
                self._set_price(
                    time_ms, product, self._promotion_price(product), "promotion_start", code
                )
        self.at(time_ms + rng.randint(2, 5) * DAY_MS, self._end_promotion, subcategory)

    def _end_promotion(self, time_ms: int, subcategory: str) -> None:
        for i in self._promotions.pop(subcategory, []):
            product = self.world.products[i]
            code, product.promotion_code = product.promotion_code, None
            if product.active and not self._in_incident(
                "pricing_bug", time_ms, category=product.category
            ):
                self._set_price(time_ms, product, product.base_price, "promotion_end", code)

    def _recategorize(self, time_ms: int) -> None:
        rng = self.wrng
        product = rng.choice(self._active_products())
        siblings = sorted(
            {
                p.subcategory
                for p in self.world.products
                if p.category == product.category and p.subcategory != product.subcategory
            }
        )
        if not siblings or product.promotion_code:
            return
        previous = (product.department, product.category, product.subcategory)
        self.world.subcategories[product.subcategory].remove(product.index)
        self._product_cum[product.subcategory] = None
        product.subcategory = rng.choice(siblings)
        self.world.subcategories[product.subcategory].append(product.index)
        self._product_cum[product.subcategory] = None
        self.emit_shared(
            time_ms,
            "catalog",
            "CategoryChanged",
            product.product_id,
            {
                "product_id": product.product_id,
                "department": product.department,
                "category": product.category,
                "subcategory": product.subcategory,
                "previous_department": previous[0],
                "previous_category": previous[1],
                "previous_subcategory": previous[2],
            },
            product.product_id,
        )

    def _withdraw_product(self, time_ms: int) -> None:
        product = self.wrng.choice(self._active_products())
        if product.promotion_code:
            return
        product.active = False
        self._product_cum[product.subcategory] = None
        self.emit_shared(
            time_ms,
            "catalog",
            "ProductDeleted",
            product.product_id,
            {
                "product_id": product.product_id,
                "reason": "seller_left"
                if product.seller_id
                else self.wrng.choice(("discontinued", "supplier_recall")),
            },
            product.product_id,
        )

    def _launch_product(self, time_ms: int) -> None:
        rng = self.wrng
        template = rng.choice(self._active_products())
        index = len(self.world.products)
        product = Product(
            index=index,
            product_id=self.wids.uuid(),
            sku=f"{template.department[:3].upper()}-{index:06d}",
            name=f"{template.brand} New {template.subcategory.rstrip('s')} {rng.randint(100, 999)}",
            brand=template.brand,
            department=template.department,
            category=template.category,
            subcategory=template.subcategory,
            base_price=template.base_price,
            price=template.base_price,
            cost=template.cost,
            elasticity=template.elasticity,
            return_rate=template.return_rate,
            popularity=template.popularity,
            supplier=template.supplier,
            seller_id=template.seller_id,
        )
        self.world.products.append(product)
        self.world.subcategories[product.subcategory].append(index)
        self._product_cum[product.subcategory] = None
        created = self._emit_product_created(time_ms, product, product.product_id)
        self._add_product_stock(self._inventory, product)
        for w in self.own_warehouses:
            on_hand = self._inventory.on_hand[w][index]
            self._inventory.on_hand[w][index] = 0
            self._stock_event(
                time_ms + 1000 + w, w, index, on_hand, "initial", product.product_id, created
            )

    def _update_profile(self, time_ms: int) -> None:
        rng = self.rng
        customer = self.world.customers[rng.randrange(len(self.world.customers))]
        changed = ["street", "postal_code"]
        if rng.random() < 0.3:
            customer.city = self._city_pick.pick(rng)  # moves stay inside the region
            changed += ["city", "region"]
        if rng.random() < 0.2:
            customer.email = (
                f"{customer.first_name.lower()}{rng.randint(1, 99)}.{customer.index}@proton.me"
            )
            changed.append("email")
        self.emit(
            time_ms,
            "customers",
            "ProfileUpdated",
            customer.customer_id,
            {
                "customer_id": customer.customer_id,
                "email": customer.email,
                "phone": customer.phone,
                "street": self._street(),
                "postal_code": self._postal_code(),
                **self._geo(customer.city),
                "changed_fields": changed,
            },
            customer.customer_id,
        )

    def _change_preferences(self, time_ms: int) -> None:
        rng = self.rng
        customer = self.world.customers[rng.randrange(len(self.world.customers))]
        # Customers about to churn are the ones who opt out.
        customer.opted_in = (
            self._day_index(time_ms) + 30 < customer.churn_day and rng.random() < 0.6
        )
        customer.notify_channel = rng.choice(("email", "sms", "push"))
        self.emit(
            time_ms,
            "customers",
            "PreferencesChanged",
            customer.customer_id,
            {
                "customer_id": customer.customer_id,
                "marketing_opt_in": customer.opted_in,
                "preferred_channel": customer.notify_channel,
                "language": rng.choice(("en", "en", "es", "fr")),
            },
            customer.customer_id,
        )

    def _report_spend(self, time_ms: int, day: int) -> None:
        """Daily ad-platform reports (world facts, so the same in every region): clicks follow
        the campaign's expected share of the day's visits, plus bounces; they never equal site
        sessions exactly, as with a real ad platform."""
        rng = self.wrng
        spend_date = self._date(time_ms)
        config = self.config
        visits = (
            config.customers
            * config.visit_rate
            * day_factor((EPOCH + timedelta(milliseconds=time_ms)).date())
            / (1 - config.anonymous_share)
        )
        live = [c for c in self.world.campaigns if c.start_day <= day < c.end_day]
        for campaign in live:
            share = CHANNEL_WEIGHTS[CHANNELS.index(campaign.channel)] / sum(CHANNEL_WEIGHTS)
            rivals = sum(1 for c in live if c.channel == campaign.channel)
            clicks = self._poisson(visits * share * 0.85 / rivals * 1.4, rng)
            spend = int(campaign.daily_budget * rng.uniform(0.7, 1.1))
            self.emit_shared(
                time_ms,
                "marketing",
                "CampaignSpendReported",
                campaign.campaign_id,
                {
                    "campaign_id": campaign.campaign_id,
                    "channel": campaign.channel,
                    "spend_date": spend_date,
                    "spend": money(spend),
                    "currency": CURRENCY,
                    "impressions": clicks * rng.randint(40, 120) + rng.randint(0, 500),
                    "clicks": clicks,
                },
                campaign.campaign_id,
            )

    def incident_manifest(self) -> list[dict[str, Any]]:
        """The injected incidents, labelled, for scoring anomaly detection."""
        return [
            {
                "kind": i.kind,
                "start": self.clock.iso(i.start_ms),
                "end": self.clock.iso(min(i.end_ms, self.end_ms)),
                "description": i.description,
                "affected": i.affected,
            }
            for i in self.incidents
        ]


def holiday_names(config: SimulationConfig) -> dict[str, str]:
    """Holidays inside the run's window (date -> name), for the truth manifest."""
    start = config.start.date()
    found = {}
    for offset in range(config.days):
        day = start + timedelta(days=offset)
        holiday = holidays(day.year).get(day)
        if holiday:
            found[day.isoformat()] = holiday[0]
    return found
