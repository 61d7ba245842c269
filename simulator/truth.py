"""The truth manifest: the figures the analytics must reproduce, recomputed from the events as
they are emitted (first delivery of each valid event only; duplicates and bad events are counted
separately). Every definition is written down in docs/decisions/truth-manifest.md."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar

from simulator.ids import money


def _cents(text: str) -> int:
    units, _, cents = text.partition(".")
    return int(units) * 100 + int(cents)


class TruthAccumulator:
    """Feed it every first delivery of a valid event in emission order; read `manifest()` at the
    end. Orders are remembered until the end because a cancellation may arrive days later."""

    def __init__(self) -> None:
        self.events_by_type: Counter[str] = Counter()
        self.duplicates = 0
        self.bad_by_kind: Counter[str] = Counter()
        self._product_category: dict[str, tuple[str, str]] = {}
        # Two generations of session -> channel (today's and yesterday's sessions): an order is
        # placed minutes after its session starts, so older sessions can be forgotten.
        self._session_channel: dict[str, str] = {}
        self._older_session_channel: dict[str, str] = {}
        self._session_date = ""
        self._orders: dict[str, tuple[str, str, str, list[tuple[str, str, int, int]]]] = {}
        self._cancelled: dict[str, str] = {}
        self._sessions_by_channel: Counter[str] = Counter()
        self._carts_created = 0
        self._carts_abandoned = 0
        self._carts_converted = 0
        self._refunds: dict[str, list[int]] = {}
        self._returns = 0
        self._returned_units = 0
        self._stockouts: set[tuple[str, str, str]] = set()
        self._payment_failures: Counter[str] = Counter()
        self._payments_completed = 0
        self._delivered = 0
        self._delivered_late = 0
        self._spend_by_channel: Counter[str] = Counter()
        self._registered_in_window = 0
        self._registered_by_channel: Counter[str] = Counter()
        self._window_start = ""
        self.incidents: list[dict[str, Any]] = []

    def open_window(self, first_date: str) -> None:
        """Events before this date are the world's history (catalog, stock, existing customers)."""
        self._window_start = first_date

    def observe(self, event_type: str, payload: dict[str, Any]) -> None:
        """Learn from a world event another region emits (the catalog), without counting it."""
        if event_type in ("ProductCreated", "CategoryChanged"):
            self._product("", payload)

    def merge(self, other: TruthAccumulator) -> None:
        """Fold in another region's accumulator. Regions share no order, session, cart or stock
        (each owns its warehouses and customers), so figures simply add up."""
        self.events_by_type.update(other.events_by_type)
        self._orders.update(other._orders)
        self._cancelled.update(other._cancelled)
        self._sessions_by_channel.update(other._sessions_by_channel)
        self._carts_created += other._carts_created
        self._carts_abandoned += other._carts_abandoned
        self._carts_converted += other._carts_converted
        for reason, (count, cents) in other._refunds.items():
            totals = self._refunds.setdefault(reason, [0, 0])
            totals[0] += count
            totals[1] += cents
        self._returns += other._returns
        self._returned_units += other._returned_units
        self._stockouts |= other._stockouts
        self._payment_failures.update(other._payment_failures)
        self._payments_completed += other._payments_completed
        self._delivered += other._delivered
        self._delivered_late += other._delivered_late
        self._spend_by_channel.update(other._spend_by_channel)
        self._registered_in_window += other._registered_in_window
        self._registered_by_channel.update(other._registered_by_channel)
        self.incidents = self.incidents or other.incidents

    def add(self, event_type: str, event_time: str, payload: dict[str, Any]) -> None:
        """Count one valid event (its type, ISO 8601 UTC time and payload); the engine passes the
        parts rather than an envelope dict it would build only for this."""
        self.events_by_type[event_type] += 1
        handler = self._handlers.get(event_type)
        if handler is not None:
            handler(self, event_time, payload)

    # --- handlers ----------------------------------------------------------------------------------

    def _product(self, _: str, payload: dict[str, Any]) -> None:
        self._product_category[payload["product_id"]] = (payload["department"], payload["category"])

    def _session(self, event_time: str, payload: dict[str, Any]) -> None:
        day = event_time[:10]
        if day != self._session_date:
            self._older_session_channel, self._session_channel = self._session_channel, {}
            self._session_date = day
        self._session_channel[payload["session_id"]] = payload["channel"]
        self._sessions_by_channel[payload["channel"]] += 1

    def _order_placed(self, event_time: str, payload: dict[str, Any]) -> None:
        lines = [
            (
                *self._product_category[line["product_id"]],
                _cents(line["line_total"]),
                line["quantity"],
            )
            for line in payload["lines"]
        ]
        session_id = payload["session_id"]
        channel = self._session_channel.pop(session_id, None) or self._older_session_channel.pop(
            session_id, "unknown"
        )
        self._orders[payload["order_id"]] = (
            event_time[:10],
            channel,
            payload["customer_id"],
            lines,
        )

    def _order_cancelled(self, _: str, payload: dict[str, Any]) -> None:
        self._cancelled.setdefault(payload["order_id"], payload["reason"])

    def _cart_created(self, _: str, __: dict[str, Any]) -> None:
        self._carts_created += 1

    def _cart_abandoned(self, _: str, __: dict[str, Any]) -> None:
        self._carts_abandoned += 1

    def _cart_converted(self, _: str, __: dict[str, Any]) -> None:
        self._carts_converted += 1

    def _refund(self, _: str, payload: dict[str, Any]) -> None:
        totals = self._refunds.setdefault(payload["reason"], [0, 0])
        totals[0] += 1
        totals[1] += _cents(payload["amount"])

    def _return(self, _: str, payload: dict[str, Any]) -> None:
        self._returns += 1
        self._returned_units += payload["quantity"]

    def _stock(self, event_time: str, payload: dict[str, Any]) -> None:
        if payload["quantity_available"] == 0:
            self._stockouts.add((payload["product_id"], payload["warehouse_id"], event_time[:10]))

    def _payment_failed(self, _: str, payload: dict[str, Any]) -> None:
        self._payment_failures[payload["failure_reason"]] += 1

    def _payment_completed(self, _: str, __: dict[str, Any]) -> None:
        self._payments_completed += 1

    def _delivered_event(self, event_time: str, payload: dict[str, Any]) -> None:
        self._delivered += 1
        if event_time[:10] > payload["promised_delivery_date"]:
            self._delivered_late += 1

    def _spend(self, _: str, payload: dict[str, Any]) -> None:
        self._spend_by_channel[payload["channel"]] += _cents(payload["spend"])

    def _registered(self, event_time: str, payload: dict[str, Any]) -> None:
        if event_time[:10] >= self._window_start:
            self._registered_in_window += 1
            self._registered_by_channel[payload["signup_channel"]] += 1

    _handlers: ClassVar[dict[str, Callable[[TruthAccumulator, str, dict[str, Any]], None]]] = {
        "ProductCreated": _product,
        "CategoryChanged": _product,
        "SessionStarted": _session,
        "OrderPlaced": _order_placed,
        "OrderCancelled": _order_cancelled,
        "CartCreated": _cart_created,
        "CartAbandoned": _cart_abandoned,
        "CartConverted": _cart_converted,
        "RefundProcessed": _refund,
        "ReturnInitiated": _return,
        "StockLevelChanged": _stock,
        "StockReserved": _stock,
        "StockReleased": _stock,
        "ReorderTriggered": _stock,
        "PaymentFailed": _payment_failed,
        "PaymentCompleted": _payment_completed,
        "ShipmentDelivered": _delivered_event,
        "CampaignSpendReported": _spend,
        "CustomerRegistered": _registered,
    }

    # --- the manifest ------------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        revenue_by_day: Counter[str] = Counter()
        revenue_by_department: Counter[str] = Counter()
        revenue_by_category: Counter[str] = Counter()
        revenue_by_channel: Counter[str] = Counter()
        conversions_by_channel: Counter[str] = Counter()
        orders_by_day: Counter[str] = Counter()
        units = 0
        customers = set()
        for order_id, (day, channel, customer_id, lines) in self._orders.items():
            orders_by_day[day] += 1
            if order_id in self._cancelled:
                continue
            customers.add(customer_id)
            conversions_by_channel[channel] += 1
            for department, category, cents, quantity in lines:
                revenue_by_day[day] += cents
                revenue_by_department[department] += cents
                revenue_by_category[category] += cents
                revenue_by_channel[channel] += cents
                units += quantity

        def amounts(counter: Counter[str]) -> dict[str, str]:
            return {key: money(counter[key]) for key in sorted(counter)}

        return {
            "currency": "USD",
            "events": {
                "valid_distinct": sum(self.events_by_type.values()),
                "duplicate_deliveries": self.duplicates,
                "bad": sum(self.bad_by_kind.values()),
                "bad_by_kind": dict(sorted(self.bad_by_kind.items())),
                "by_type": dict(sorted(self.events_by_type.items())),
            },
            "revenue": money(sum(revenue_by_day.values())),
            "revenue_by_day": amounts(revenue_by_day),
            "revenue_by_department": amounts(revenue_by_department),
            "revenue_by_category": amounts(revenue_by_category),
            "revenue_by_channel": amounts(revenue_by_channel),
            "units_sold": units,
            "orders_placed": len(self._orders),
            "orders_placed_by_day": dict(sorted(orders_by_day.items())),
            "orders_cancelled": len(self._cancelled),
            "orders_cancelled_by_reason": dict(sorted(Counter(self._cancelled.values()).items())),
            "orders_net": len(self._orders) - len(self._cancelled),
            "distinct_customers": len(customers),
            "conversions_by_channel": dict(sorted(conversions_by_channel.items())),
            "sessions_by_channel": dict(sorted(self._sessions_by_channel.items())),
            "customers_registered_in_window": self._registered_in_window,
            "customers_registered_in_window_by_channel": dict(
                sorted(self._registered_by_channel.items())
            ),
            "carts_created": self._carts_created,
            "carts_abandoned": self._carts_abandoned,
            "carts_converted": self._carts_converted,
            "refunds": {
                "count": sum(v[0] for v in self._refunds.values()),
                "amount": money(sum(v[1] for v in self._refunds.values())),
                "by_reason": {
                    reason: {"count": v[0], "amount": money(v[1])}
                    for reason, v in sorted(self._refunds.items())
                },
            },
            "returns": {"count": self._returns, "units": self._returned_units},
            "payments_completed": self._payments_completed,
            "payment_failures_by_reason": dict(sorted(self._payment_failures.items())),
            "shipments_delivered": self._delivered,
            "shipments_delivered_late": self._delivered_late,
            "stockout_days": len(self._stockouts),
            "marketing_spend_by_channel": amounts(self._spend_by_channel),
            "incidents": self.incidents,
        }
