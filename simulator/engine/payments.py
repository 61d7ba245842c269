"""Payments: attempts (with provider outages, fraud and declines), retries, refunds, chargebacks."""

from __future__ import annotations

from simulator.engine.kernel import CURRENCY, MINUTE_MS, Context
from simulator.engine.orders import Order
from simulator.ids import DAY_MS, money
from simulator.world import METHODS_BY_PROVIDER, PROVIDERS

PAYMENT_FAILURES = (
    ("insufficient_funds", 30),
    ("card_declined", 40),
    ("authentication_failed", 20),
    ("provider_timeout", 10),
)


class Payments(Context):
    def pay(
        self, time_ms: int, order: Order, attempt: int, provider: str, method: str, cause: str
    ) -> None:
        engine, rng = self.engine, self.rng
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
        if engine.incidents.active("payment_provider_outage", time_ms, provider=provider):
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
                    self.pay,
                    order,
                    attempt + 1,
                    provider,
                    method,
                    failed,
                )
                return
            reason = "fraud_suspected" if failure == "fraud_suspected" else "payment_failed"
            engine.orders.cancel(done + 2000, order, reason, failed)
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
        confirmed = engine.orders.confirm(done + 500, order, payment_id, completed)
        engine.notifications.notify(
            done + rng.randint(2, 60) * 1000,
            order.customer,
            "order_confirmation",
            order.order_id,
            corr,
            confirmed,
        )
        if rng.random() < 0.025:
            self.at(
                done + rng.randint(20, 360) * MINUTE_MS,
                engine.orders.customer_cancels,
                order,
                confirmed,
            )
        self.at(
            done + rng.randint(60, 18 * 60) * MINUTE_MS,
            engine.shipping.create_shipment,
            order,
            confirmed,
        )
        if order.is_fraud:
            self.at(
                done + rng.randint(15, 45) * DAY_MS,
                self.refund,
                order,
                order.total,
                "chargeback",
                None,
                confirmed,
            )
        elif rng.random() < 0.03:
            self.at(done + rng.randint(2, 8) * MINUTE_MS, engine.orders.modify, order, confirmed)

    def refund(
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
            self.engine.notifications.notify(
                time_ms + 60_000,
                order.customer,
                "refund_confirmation",
                refund_id,
                order.correlation_id,
                refunded,
            )
