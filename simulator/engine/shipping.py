"""Shipping: shipments, carriers' transit times (and delays), deliveries, returns."""

from __future__ import annotations

from simulator.engine.kernel import CURRENCY, HOUR_MS, MINUTE_MS, Context
from simulator.engine.orders import Order
from simulator.ids import DAY_MS, money
from simulator.world import CARRIER_TRANSIT, CARRIERS

SLA_DAYS = {"standard": 5, "express": 2, "pickup": 3}
RETURN_REASONS = ("damaged", "wrong_item", "not_as_described", "changed_mind", "too_late")


class Shipping(Context):
    def create_shipment(self, time_ms: int, order: Order, cause: str) -> None:
        if order.cancelled:
            return
        rng = self.rng
        order.shipment_id = self.ids.uuid()
        city = self.world.cities[order.customer.city]
        order.carrier = city.carrier if rng.random() < 0.7 else rng.choice(CARRIERS)
        order.promised_date = self.engine.date(time_ms + SLA_DAYS[order.delivery_option] * DAY_MS)
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
        self.at(time_ms + rng.randint(4, 30) * HOUR_MS, self.ship, order, created)

    def ship(self, time_ms: int, order: Order, cause: str) -> None:
        if order.cancelled:
            return
        engine, rng = self.engine, self.rng
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
            engine.inventory.ship(
                time_ms + 50, order.warehouse, p, q, order.correlation_id, shipped
            )
        engine.notifications.notify(
            time_ms + 120_000,
            order.customer,
            "shipping_update",
            order.order_id,
            order.correlation_id,
            shipped,
        )
        mean, sd = CARRIER_TRANSIT[order.carrier]
        days = max(1.0, rng.gauss(mean, sd)) * (0.5 if order.delivery_option == "express" else 1.0)
        if engine.incidents.active("carrier_delay", time_ms, carrier=order.carrier):
            days += rng.uniform(3, 5)
        arrival_day = (time_ms + int(days * DAY_MS)) // DAY_MS * DAY_MS
        self.at(
            arrival_day + rng.randint(9 * 60, 20 * 60) * MINUTE_MS, self.deliver, order, shipped
        )

    def deliver(self, time_ms: int, order: Order, cause: str) -> None:
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
        self.engine.notifications.notify(
            time_ms + 60_000,
            order.customer,
            "delivery_confirmation",
            order.order_id,
            order.correlation_id,
            delivered,
        )
        late = self.engine.date(time_ms) > order.promised_date
        for number, (p, q, _, _, total) in enumerate(order.lines, start=1):
            if rng.random() < self.world.products[p].return_rate + (0.08 if late else 0):
                returned = rng.randint(1, q)
                self.at(
                    time_ms + rng.randint(1, 13) * DAY_MS + rng.randrange(DAY_MS),
                    self.return_items,
                    order,
                    number,
                    p,
                    returned,
                    total * returned // q,
                    late,
                    delivered,
                )

    def return_items(
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
            self.engine.inventory.receive_return,
            order.warehouse,
            p,
            quantity,
            reason,
            order.correlation_id,
            initiated,
        )
        self.at(
            received + HOUR_MS,
            self.engine.payments.refund,
            order,
            amount,
            "return",
            return_id,
            initiated,
        )
