"""Customers: registrations, profile and preference changes, and who visits the shop today."""

from __future__ import annotations

import bisect
import itertools
from typing import TYPE_CHECKING

from simulator.engine.kernel import Context
from simulator.ids import DAY_MS
from simulator.world import STREET_KINDS, STREETS, Customer, new_customer

if TYPE_CHECKING:
    from simulator.engine.engine import Engine


class Customers(Context):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._engagement_cum: list[float] = []

    def register_existing(self) -> None:
        """The region's customers who joined in the year before the window, with their
        registrations (so the warehouse knows them from their first order on)."""
        engine, rng = self.engine, self.rng
        regions = self.config.regions
        for local in range(round(self.config.customers * engine.region_share)):
            joined_day = -rng.randint(1, 365)
            index = engine.region + regions * local  # unique across regions (e-mail addresses)
            customer = new_customer(rng, self.ids, index, engine.city_pick, joined_day)
            self.world.customers.append(customer)
            when = engine.start_ms + joined_day * DAY_MS + rng.randrange(DAY_MS)
            self.emit_registered(
                when, customer, customer.signup_channel, None, customer.customer_id, None
            )
        self._engagement_cum = list(
            itertools.accumulate(c.engagement for c in self.world.customers)
        )

    def next_index(self) -> int:
        """The index of the next customer to sign up, unique across regions."""
        return self.engine.region + self.config.regions * len(self.world.customers)

    def add(self, customer: Customer) -> None:
        """A customer who signed up during the window."""
        self.world.customers.append(customer)
        self._engagement_cum.append(self._engagement_cum[-1] + customer.engagement)

    def pick(self, day: int) -> Customer:
        """An active customer, drawn by engagement (a few redraws skip churned customers)."""
        cum, customers = self._engagement_cum, self.world.customers
        for _ in range(8):
            customer = customers[
                min(bisect.bisect_right(cum, self.rng.random() * cum[-1]), len(cum) - 1)
            ]
            if customer.churn_day > day:
                break
        return customer

    def _street(self) -> str:
        rng = self.rng
        return f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}"

    def _postal_code(self) -> str:
        return f"{self.rng.randint(1000, 99950):05d}"

    def emit_registered(
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
                **self.engine.geo(customer.city),
                "signup_channel": channel,
                "campaign_id": campaign_id,
                "ip_address": self.engine.ip(),
                "marketing_opt_in": customer.opted_in,
                "birth_year": self.rng.randint(1945, 2006),
            },
            corr,
            cause,
        )

    def update_profile(self, time_ms: int) -> None:
        rng = self.rng
        customer = self.world.customers[rng.randrange(len(self.world.customers))]
        changed = ["street", "postal_code"]
        if rng.random() < 0.3:
            customer.city = self.engine.city_pick.pick(rng)  # moves stay inside the region
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
                **self.engine.geo(customer.city),
                "changed_fields": changed,
            },
            customer.customer_id,
        )

    def change_preferences(self, time_ms: int) -> None:
        rng = self.rng
        customer = self.world.customers[rng.randrange(len(self.world.customers))]
        # Customers about to churn are the ones who opt out.
        customer.opted_in = (
            self.engine.day_index(time_ms) + 30 < customer.churn_day and rng.random() < 0.6
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
