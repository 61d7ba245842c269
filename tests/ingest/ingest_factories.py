"""Small, valid ACME events for ingest tests that need exact control over what is produced."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

BASE_TIME = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def envelope(
    event_type: str,
    context: str,
    payload: dict[str, Any],
    *,
    at: datetime = BASE_TIME,
    event_id: str | None = None,
    schema_version: int = 1,
) -> bytes:
    """One event's bytes as a producer would send them."""
    return orjson.dumps(
        {
            "event_id": event_id or str(uuid.uuid4()),
            "event_type": event_type,
            "schema_version": schema_version,
            "event_time": at.isoformat().replace("+00:00", "Z"),
            "source_service": context,
            "correlation_id": str(uuid.uuid4()),
            "causation_id": None,
            "payload": payload,
        }
    )


def session_started(session_id: str, *, region: str, channel: str, at: datetime) -> bytes:
    return envelope(
        "SessionStarted",
        "storefront",
        {
            "session_id": session_id,
            "customer_id": None,
            "anonymous_id": str(uuid.uuid4()),
            "device_type": "mobile",
            "os": "iOS",
            "browser": "Safari",
            "channel": channel,
            "ip_address": "203.0.113.7",
            "city": "Lyon",
            "region": region,
            "country": "FR",
            "latitude": 45.76,
            "longitude": 4.84,
        },
        at=at,
    )


def order_placed(
    order_id: str,
    session_id: str,
    *,
    total: str,
    region: str,
    at: datetime,
    event_id: str | None = None,
    delivery_option: str | None = None,
) -> bytes:
    payload: dict[str, Any] = {
        "order_id": order_id,
        "customer_id": str(uuid.uuid4()),
        "cart_id": str(uuid.uuid4()),
        "session_id": session_id,
        "warehouse_id": str(uuid.uuid4()),
        "currency": "EUR",
        "lines": [
            {
                "line_number": 1,
                "product_id": str(uuid.uuid4()),
                "quantity": 1,
                "unit_price": total,
                "discount": "0.00",
                "line_total": total,
            }
        ],
        "subtotal": total,
        "shipping_fee": "0.00",
        "tax": "0.00",
        "order_total": total,
        "shipping_city": "Lyon",
        "shipping_region": region,
        "shipping_country": "FR",
    }
    version = 1
    if delivery_option is not None:
        payload["delivery_option"] = delivery_option
        version = 2
    return envelope(
        "OrderPlaced", "orders", payload, at=at, event_id=event_id, schema_version=version
    )


def payment(order_id: str, *, succeeded: bool, provider: str, amount: str, at: datetime) -> bytes:
    payload: dict[str, Any] = {
        "payment_id": str(uuid.uuid4()),
        "order_id": order_id,
        "customer_id": str(uuid.uuid4()),
        "amount": amount,
        "currency": "EUR",
        "provider": provider,
        "method": "card",
        "attempt": 1,
    }
    if succeeded:
        payload["fraud_score"] = 0.1
        return envelope("PaymentCompleted", "payments", payload, at=at)
    payload["failure_reason"] = "card_declined"
    return envelope("PaymentFailed", "payments", payload, at=at)


def page_viewed(session_id: str, *, at: datetime) -> bytes:
    return envelope(
        "PageViewed",
        "storefront",
        {"session_id": session_id, "customer_id": None, "page_type": "home", "url": "/"},
        at=at,
    )


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)
