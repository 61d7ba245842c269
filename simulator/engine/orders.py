"""Orders: checkout (warehouse, discounts, shipping fee, tax), modifications and cancellations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.engine.kernel import CURRENCY, HOUR_MS, Context
from simulator.ids import money
from simulator.world import Campaign, Customer

TAX_RATES = {"CA": 725, "TX": 625, "NY": 400, "WA": 650, "FL": 600, "IL": 625}  # basis points
DEFAULT_TAX = 500
FREE_SHIPPING_FROM = 5000
SHIPPING_FEES = {"standard": 599, "express": 1299, "pickup": 0}


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


class Orders(Context):
    def checkout(
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
        rng, inventory = self.rng, self.engine.inventory
        city = self.world.cities[customer.city]
        warehouse = next(
            (
                w
                for w in city.warehouse_order
                if all(inventory.available(w, p) >= q for p, q in lines.items())
            ),
            None,
        )
        if warehouse is None:
            warehouse = city.warehouse_order[0]
            lines = {p: q for p, q in lines.items() if inventory.available(warehouse, p) >= q}
        lines = {p: q for p, q in lines.items() if self.world.products[p].active}
        if not lines:
            self.engine.cart.abandon(time_ms, customer, session_id, cart_id, lines, time_ms, cause)
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
        version = 2 if time_ms >= self.engine.v2_from_ms else 1
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
        self.engine.cart.convert(
            time_ms + 200, cart_id, customer, order.order_id, session_id, placed
        )
        for p, q, *_ in order_lines:
            inventory.reserve(time_ms + 300, warehouse, p, q, order.order_id, session_id, placed)
        self.at(
            time_ms + rng.randint(2, 20) * 1000,
            self.engine.payments.pay,
            order,
            1,
            customer.provider,
            customer.method,
            placed,
        )

    def confirm(self, time_ms: int, order: Order, payment_id: str, cause: str) -> str:
        return self.emit(
            time_ms,
            "orders",
            "OrderConfirmed",
            order.order_id,
            {
                "order_id": order.order_id,
                "customer_id": order.customer.customer_id,
                "payment_id": payment_id,
            },
            order.correlation_id,
            cause,
        )

    def modify(self, time_ms: int, order: Order, cause: str) -> None:
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

    def cancel(self, time_ms: int, order: Order, reason: str, cause: str) -> str:
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
            self.engine.inventory.release(
                time_ms + 100,
                order.warehouse,
                p,
                q,
                order.order_id,
                release_reason,
                order.correlation_id,
                cancelled,
            )
        return cancelled

    def customer_cancels(self, time_ms: int, order: Order, cause: str) -> None:
        if order.shipped or order.cancelled:
            return
        cancelled = self.cancel(time_ms, order, "customer_request", cause)
        self.at(
            time_ms + self.rng.randint(1, 48) * HOUR_MS,
            self.engine.payments.refund,
            order,
            order.total,
            "cancellation",
            None,
            cancelled,
        )
