"""Incident injection: labelled anomalies (a payment provider outage, a traffic spike, a pricing
bug, a carrier delay, a stockout wave) that anomaly detection is scored against.

The incidents are world facts (drawn from the world RNG, the same in every region); the contexts
ask `active(...)` whether one touches what they are doing, and `start` applies the ones that change
the world at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.engine.kernel import HOUR_MS, Context
from simulator.ids import DAY_MS
from simulator.world import CARRIERS, PROVIDERS

if TYPE_CHECKING:
    from simulator.engine.engine import Engine


@dataclass(slots=True)
class Incident:
    """One injected anomaly, with the label anomaly detection is scored against."""

    kind: str
    start_ms: int
    end_ms: int
    description: str
    affected: dict[str, Any]


class Incidents(Context):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.planned: list[Incident] = []

    def active(self, kind: str, time_ms: int, **affected: Any) -> Incident | None:
        """The incident of `kind` under way at `time_ms` that matches `affected`, if any."""
        for incident in self.planned:
            if (
                incident.kind == kind
                and incident.start_ms <= time_ms < incident.end_ms
                and all(incident.affected.get(k) == v for k, v in affected.items())
            ):
                return incident
        return None

    def plan(self) -> None:
        if not self.config.incidents:
            return
        engine = self.engine
        rng = engine.wrng
        days = self.config.days

        def window(hours_low: int, hours_high: int) -> tuple[int, int]:
            start = engine.start_ms + rng.randrange(days) * DAY_MS + rng.randint(8, 16) * HOUR_MS
            return start, start + rng.randint(hours_low, hours_high) * HOUR_MS

        provider = rng.choice(PROVIDERS[:2])
        start, end = window(2, 4)
        self.planned.append(
            Incident(
                "payment_provider_outage",
                start,
                end,
                f"{provider} rejects every payment",
                {"provider": provider},
            )
        )
        start, end = window(2, 3)
        self.planned.append(
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
        self.planned.append(
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
        self.planned.append(
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
        self.planned.append(
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
        for incident in self.planned:
            self.at(incident.start_ms, self.start, incident)
            if incident.kind == "pricing_bug":
                self.at(incident.end_ms, self._end_pricing_bug, incident)

    def start(self, time_ms: int, incident: Incident) -> None:
        engine = self.engine
        if incident.kind == "traffic_spike":
            base = self.config.customers * engine.region_share * self.config.visit_rate / 24
            extra = engine.poisson(
                base
                * (incident.affected["multiplier"] - 1)
                * (incident.end_ms - incident.start_ms)
                / HOUR_MS
            )
            for _ in range(extra):
                when = self.rng.randint(incident.start_ms, incident.end_ms - 1)
                customer = engine.customers.pick(engine.day_index(when))
                self.at(when, engine.storefront.session, customer, False, "social")
        elif incident.kind == "pricing_bug":
            for product in self.world.products:
                if product.category == incident.affected["category"] and product.active:
                    engine.catalog.set_price(
                        time_ms,
                        product,
                        max(1, product.price // 10),
                        "pricing_error",
                        product.promotion_code,
                    )
        elif incident.kind == "stockout_wave" and 0 in engine.own_warehouses:
            inventory = engine.inventory
            corr = self.ids.uuid()
            for p, product in enumerate(self.world.products):
                if (
                    self.world.suppliers[product.supplier].supplier_id
                    == incident.affected["supplier_id"]
                ):
                    loss = inventory.available(0, p)
                    if loss > 0:
                        cause = inventory.stock_event(
                            time_ms + p, 0, p, -loss, "adjustment", corr, None
                        )
                        inventory.maybe_reorder(time_ms + p + 1, 0, p, corr, cause)

    def _end_pricing_bug(self, time_ms: int, incident: Incident) -> None:
        catalog = self.engine.catalog
        for product in self.world.products:
            if product.category == incident.affected["category"] and product.active:
                price = product.base_price
                if product.promotion_code:
                    price = catalog.promotion_price(product)
                catalog.set_price(time_ms, product, price, "pricing_fix", product.promotion_code)

    def manifest(self) -> list[dict[str, Any]]:
        """The injected incidents, labelled, for scoring anomaly detection."""
        clock, end_ms = self.engine.clock, self.engine.end_ms
        return [
            {
                "kind": i.kind,
                "start": clock.iso(i.start_ms),
                "end": clock.iso(min(i.end_ms, end_ms)),
                "description": i.description,
                "affected": i.affected,
            }
            for i in self.planned
        ]
