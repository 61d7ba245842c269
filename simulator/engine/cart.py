"""Cart: a cart filled from the products a shopper viewed, then checked out or abandoned."""

from __future__ import annotations

from simulator.engine.kernel import CURRENCY, HOUR_MS, MINUTE_MS, Context
from simulator.ids import money
from simulator.world import Campaign, Customer, Product


class Cart(Context):
    def fill(
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
                self.engine.orders.checkout,
                customer,
                session_id,
                channel,
                campaign,
                cart_id,
                lines,
                cause,
            )
        else:
            self.at(t + HOUR_MS, self.abandon, customer, session_id, cart_id, lines, t, cause)

    def _value(self, lines: dict[int, int]) -> int:
        return sum(self.world.products[p].price * q for p, q in lines.items())

    def abandon(
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
                "cart_value": money(self._value(lines)),
                "currency": CURRENCY,
                "last_activity_at": self.engine.clock.iso(last_activity),
            },
            session_id,
            cause,
        )
        if customer.opted_in and self.rng.random() < 0.5:
            self.engine.notifications.notify(
                time_ms + self.rng.randint(1, 30) * MINUTE_MS,
                customer,
                "cart_reminder",
                cart_id,
                session_id,
                abandoned,
            )

    def convert(
        self, time_ms: int, cart_id: str, customer: Customer, order_id: str, corr: str, cause: str
    ) -> None:
        self.emit(
            time_ms,
            "cart",
            "CartConverted",
            cart_id,
            {"cart_id": cart_id, "customer_id": customer.customer_id, "order_id": order_id},
            corr,
            cause,
        )
