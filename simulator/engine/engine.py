"""The ACME business as a discrete-event simulation: one region's engine and its day plan.

The engine is the kernel (clock, RNGs, action heap, emission) plus one object per bounded context
(`catalog`, `inventory`, `procurement`, `marketing`, `customers`, `notifications`, `storefront`,
`cart`, `orders`, `payments`, `shipping`) and the injected `incidents`. Running actions strictly in
time order keeps every stateful figure consistent (stock levels chain correctly, a cancelled order
never ships).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from simulator.block import Block
from simulator.calendar import HOUR_WEIGHTS, day_factor
from simulator.config import SimulationConfig
from simulator.engine.cart import Cart
from simulator.engine.catalog import Catalog
from simulator.engine.customers import Customers
from simulator.engine.incidents import Incidents
from simulator.engine.inventory import Inventory
from simulator.engine.kernel import HOUR_MS, MINUTE_MS, Kernel
from simulator.engine.marketing import Marketing
from simulator.engine.notifications import Notifications
from simulator.engine.orders import Orders
from simulator.engine.payments import Payments
from simulator.engine.procurement import Procurement
from simulator.engine.shipping import Shipping
from simulator.engine.storefront import Storefront
from simulator.ids import DAY_MS, EPOCH, FastRandom

_CUM_HOURS = list(itertools.accumulate(HOUR_WEIGHTS))


class Engine(Kernel):
    """Generates one fulfilment region's valid events, day by day, in event-time order."""

    def __init__(self, config: SimulationConfig, region: int = 0) -> None:
        super().__init__(config, region)
        self.catalog = Catalog(self)
        self.inventory = Inventory(self)  # the opening stock: the region RNG's first draws
        self.procurement = Procurement(self)
        self.marketing = Marketing(self)
        self.customers = Customers(self)
        self.notifications = Notifications(self)
        self.storefront = Storefront(self)
        self.cart = Cart(self)
        self.orders = Orders(self)
        self.payments = Payments(self)
        self.shipping = Shipping(self)
        self.incidents = Incidents(self)

    def days(self) -> Iterator[Block]:
        """The run: first the world's history before the window, then the days in turn."""
        self._bootstrap()
        yield from self.flush(self.start_ms)
        self.incidents.plan()
        for day in range(self.config.days):
            day_start = self.start_ms + day * DAY_MS
            day_end = day_start + DAY_MS
            self._plan_day(day, day_start)
            self.run_until(day_end)
            yield from self.flush(day_end)

    def incident_manifest(self) -> list[dict[str, Any]]:
        """The injected incidents, labelled, for scoring anomaly detection."""
        return self.incidents.manifest()

    def _bootstrap(self) -> None:
        """The world as it stands when the window opens: the catalog, the opening stock, the
        campaigns already running, the customers who joined in the year before."""
        before = self.start_ms - 2 * DAY_MS
        for product in self.world.products:
            self.catalog.emit_product_created(
                before + product.index * 1000, product, self.wids.uuid()
            )
        self.inventory.emit_opening_stock(self.start_ms - DAY_MS)
        for campaign in self.world.campaigns:
            if campaign.start_day <= 0:
                self.marketing.launch(
                    self.start_ms + campaign.start_day * DAY_MS - HOUR_MS, campaign
                )
            else:
                self.at(
                    self.start_ms + campaign.start_day * DAY_MS + 8 * HOUR_MS,
                    self.marketing.launch,
                    campaign,
                )
        self.customers.register_existing()

    def _plan_day(self, day: int, day_start: int) -> None:
        """Schedule the day's visits, catalog changes, profile changes and ad-spend reports."""
        rng = self.rng
        day_date = (EPOCH + timedelta(milliseconds=day_start)).date()
        factor = day_factor(day_date)
        midnight = day_start - day_start % DAY_MS
        active = sum(1 for c in self.world.customers if c.churn_day > day)
        visits = self.poisson(active * self.config.visit_rate * factor)
        share = self.config.anonymous_share
        anonymous = self.poisson(visits * share / (1 - share))
        signups = self.poisson(max(1.0, len(self.world.customers) * 0.003 * factor))

        def time_of_day(rng: FastRandom = rng) -> int:
            hour = bisect.bisect_right(_CUM_HOURS, rng.random() * _CUM_HOURS[-1])
            when = midnight + hour * HOUR_MS + rng.randrange(HOUR_MS)
            return when if when >= day_start else when + DAY_MS

        session = self.storefront.session
        for _ in range(visits):
            customer = self.customers.pick(day)
            self.at(time_of_day(), session, customer, False, None)
        for _ in range(anonymous):
            self.at(time_of_day(), session, None, False, None)
        for _ in range(signups):
            self.at(time_of_day(), session, None, True, None)
        # Catalog life (world RNG: every region replays it): repricing, promotions,
        # re-categorisation, withdrawals, new products.
        world, catalog = self.wrng, self.catalog
        for _ in range(max(1, round(len(self.world.products) * 0.004))):
            self.at(time_of_day(world), catalog.reprice)
        if world.random() < 0.35:
            six = midnight + 6 * HOUR_MS
            self.at(six if six >= day_start else time_of_day(world), catalog.start_promotion)
        if world.random() < 0.3:
            self.at(time_of_day(world), catalog.recategorize)
        if world.random() < 0.35:
            self.at(time_of_day(world), catalog.withdraw_product)
        if world.random() < 0.3:
            self.at(time_of_day(world), catalog.launch_product)
        for _ in range(self.poisson(len(self.world.customers) * 0.002)):
            self.at(time_of_day(), self.customers.update_profile)
        for _ in range(self.poisson(len(self.world.customers) * 0.001)):
            self.at(time_of_day(), self.customers.change_preferences)
        spend_time = day_start + DAY_MS - 5 * MINUTE_MS
        self.at(spend_time, self.marketing.report_spend, day)
