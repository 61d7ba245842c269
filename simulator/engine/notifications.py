"""Notifications: messages to customers (confirmations, shipping updates, cart reminders) and
whether they arrived."""

from __future__ import annotations

from simulator.engine.kernel import Context
from simulator.world import Customer


class Notifications(Context):
    def notify(
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
