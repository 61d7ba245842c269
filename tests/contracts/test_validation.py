"""validate(): what a valid event yields, and one specific reason per kind of defect."""

from __future__ import annotations

import copy
import re
from datetime import UTC
from typing import Any

import orjson
import pytest

from acme.contracts import (
    MAX_EVENT_BYTES,
    REASONS,
    InvalidEvent,
    ValidatedEvent,
    event_types,
    latest_version,
    pii_fields,
    validate,
)
from acme.contracts.registry import registry

ID = "0b7c9c2e-3a51-4d7e-9f0a-6f1d2c3b4a59"
OTHER = "5e0f6c1a-8b2d-4c3e-a4f5-0a1b2c3d4e5f"


def order_placed() -> dict[str, Any]:
    return {
        "event_id": ID,
        "event_type": "OrderPlaced",
        "schema_version": 2,
        "event_time": "2026-03-02T10:15:30.250Z",
        "source_service": "orders",
        "correlation_id": OTHER,
        "causation_id": None,
        "payload": {
            "order_id": OTHER,
            "customer_id": ID,
            "cart_id": ID,
            "session_id": OTHER,
            "warehouse_id": ID,
            "currency": "USD",
            "lines": [
                {
                    "line_number": 1,
                    "product_id": ID,
                    "seller_id": None,
                    "quantity": 2,
                    "unit_price": "19.99",
                    "discount": "4.00",
                    "line_total": "35.98",
                    "promotion_code": "SAVE10",
                }
            ],
            "subtotal": "35.98",
            "shipping_fee": "5.99",
            "tax": "2.52",
            "order_total": "44.49",
            "promotion_code": "SAVE10",
            "shipping_city": "Austin",
            "shipping_region": "TX",
            "shipping_country": "US",
            "delivery_option": "express",
        },
    }


def test_a_valid_event_yields_typed_envelope_and_exact_payload() -> None:
    raw = orjson.dumps(order_placed())
    event = validate(raw)
    assert isinstance(event, ValidatedEvent)
    assert (event.event_id, event.event_type, event.schema_version) == (ID, "OrderPlaced", 2)
    assert event.event_time.tzinfo is UTC
    assert event.event_time.isoformat() == "2026-03-02T10:15:30.250000+00:00"
    assert (event.source_service, event.correlation_id, event.causation_id) == (
        "orders",
        OTHER,
        None,
    )
    assert event.payload["lines"][0]["unit_price"] == "19.99"
    assert raw.find(bytes(event.payload_json)) > 0  # the payload's bytes, not a re-encoding


def test_optional_field_of_v2_may_be_absent_but_is_unknown_in_v1() -> None:
    v2 = order_placed()
    del v2["payload"]["delivery_option"]
    assert validate(orjson.dumps(v2)).schema_version == 2
    v1 = order_placed()
    v1["schema_version"] = 1
    with pytest.raises(InvalidEvent) as caught:
        validate(orjson.dumps(v1))
    assert caught.value.reason == "unknown_field"
    assert "delivery_option" in caught.value.detail


def _set(path: str, value: Any) -> Any:
    def mutate(event: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = event
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return mutate


_DELETE = object()

CASES = [
    ("missing_field", _set("payload.order_total", _DELETE), "$.payload"),
    ("missing_field", _set("event_time", _DELETE), "event_time"),
    ("unknown_field", _set("payload.lines.0.gift", True), "gift"),
    ("wrong_type", _set("schema_version", "2"), "$.schema_version"),
    ("wrong_type", _set("payload.lines", {"line_number": 1}), "$.payload.lines"),
    ("invalid_uuid", _set("event_id", "12345"), "$.event_id"),
    ("invalid_uuid", _set("correlation_id", OTHER.upper()), "$.correlation_id"),
    ("invalid_uuid", _set("payload.customer_id", "not-a-uuid"), "$.payload.customer_id"),
    ("invalid_money", _set("payload.order_total", "44.5"), "$.payload.order_total"),
    ("invalid_money", _set("payload.lines.0.discount", "-4.00"), "$.payload.lines[0].discount"),
    ("invalid_format", _set("payload.currency", "usd"), "$.payload.currency"),
    ("invalid_enum", _set("payload.delivery_option", "drone"), "$.payload.delivery_option"),
    ("unknown_event_type", _set("event_type", "OrderTeleported"), "OrderTeleported"),
    ("unknown_schema_version", _set("schema_version", 3), "v3"),
    ("impossible_timestamp", _set("event_time", "2026-02-30T10:00:00Z"), "$.event_time"),
    ("impossible_timestamp", _set("event_time", "1999-12-31T23:59:59Z"), "$.event_time"),
    ("timestamp_not_utc", _set("event_time", "2026-03-02T10:15:30+02:00"), "+02:00"),
    ("timestamp_not_utc", _set("event_time", "2026-03-02T10:15:30"), "$.event_time"),
    ("negative_quantity", _set("payload.lines.0.quantity", -2), "$.payload.lines[0].quantity"),
    ("out_of_range", _set("payload.lines.0.quantity", 0), "$.payload.lines[0].quantity"),
    ("out_of_range", _set("payload.lines", []), "$.payload.lines"),
    ("context_mismatch", _set("source_service", "payments"), "payments"),
]


@pytest.mark.parametrize(("reason", "mutate", "where"), CASES)
def test_each_defect_has_its_own_reason_and_a_detail_that_locates_it(
    reason: str, mutate: Any, where: str
) -> None:
    event = copy.deepcopy(order_placed())
    mutate(event)
    with pytest.raises(InvalidEvent) as caught:
        validate(orjson.dumps(event))
    assert caught.value.reason == reason, caught.value.detail
    assert where in caught.value.detail


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"event_id": "0b7c', "not_json"),
        (b"", "not_json"),
        (b'{"event_type": "Order\xffPlaced"}', "invalid_utf8"),
        (b"[1, 2]", "not_an_object"),
        (b'"OrderPlaced"', "not_an_object"),
        (b" " * (MAX_EVENT_BYTES + 1), "oversized"),
    ],
)
def test_undecodable_messages(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        validate(raw)
    assert caught.value.reason == reason


def test_reasons_are_stable_snake_case_and_cover_the_cases() -> None:
    assert len(set(REASONS)) == len(REASONS)
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", r) for r in REASONS)
    covered = {reason for reason, _, _ in CASES} | {
        "not_json",
        "invalid_utf8",
        "not_an_object",
        "oversized",
    }
    assert covered == set(REASONS)


def test_invalid_event_survives_pickling_for_worker_processes() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(InvalidEvent("wrong_type", "$.x")))
    assert (error.reason, error.detail) == ("wrong_type", "$.x")


def test_registry_holds_every_event_type_of_the_issue() -> None:
    expected = {
        "catalog": "ProductCreated ProductUpdated ProductDeleted CategoryChanged",
        "inventory": "StockLevelChanged StockReserved StockReleased ReorderTriggered",
        "cart": "CartCreated ItemAdded ItemRemoved CartAbandoned CartConverted",
        "orders": "OrderPlaced OrderConfirmed OrderCancelled OrderModified",
        "payments": "PaymentInitiated PaymentCompleted PaymentFailed RefundProcessed",
        "shipping": "ShipmentCreated ShipmentShipped ShipmentDelivered ReturnInitiated",
        "customers": "CustomerRegistered ProfileUpdated PreferencesChanged",
        "notifications": "NotificationSent NotificationDelivered NotificationFailed",
        "storefront": "SessionStarted PageViewed ProductViewed SearchPerformed",
        "marketing": "CampaignLaunched CampaignSpendReported",
        "procurement": "PurchaseOrderPlaced PurchaseOrderReceived",
    }
    wanted = {t: c for c, types in expected.items() for t in types.split()}
    assert event_types() == wanted
    assert latest_version("OrderPlaced") == 2
    assert len(registry()) == len(wanted) + 1


def test_pii_fields_come_from_the_schema_tags() -> None:
    assert pii_fields("CustomerRegistered") == {
        "email",
        "first_name",
        "last_name",
        "phone",
        "street",
        "postal_code",
        "ip_address",
    }
    assert pii_fields("SessionStarted") == {"ip_address"}
    assert pii_fields("OrderPlaced") == set()
    with pytest.raises(KeyError):
        pii_fields("NoSuchEvent")


def test_money_fields_always_come_with_a_currency() -> None:
    for schema in registry().values():
        props = schema.properties
        has_money = any(node.get("format") == "decimal" for node in props.values()) or any(
            n.get("format") == "decimal"
            for node in props.values()
            for n in node.get("items", {}).get("properties", {}).values()
        )
        if has_money:
            assert "currency" in props, schema.path
