"""The ingest loop against the real broker: raw rows, dead letters, positions and live metrics."""

from __future__ import annotations

import uuid
from collections import Counter
from decimal import Decimal

import pytest

import tests.ingest.ingest_factories as f
from acme.settings import Settings
from ingest.ingester import FlushPolicy
from tests.ingest.ingest_helpers import dead_letters, ingest_until_idle, live, produce, raw

pytestmark = pytest.mark.kafka


def test_valid_events_land_once_with_lineage_and_bad_ones_become_dead_letters(
    settings: Settings,
) -> None:
    session = str(uuid.uuid4())
    order = str(uuid.uuid4())
    messages = [
        (
            "storefront",
            session.encode(),
            f.session_started(session, region="ARA", channel="social", at=f.BASE_TIME),
        ),
        (
            "orders",
            order.encode(),
            f.order_placed(order, session, total="10.50", region="ARA", at=f.BASE_TIME),
        ),
        ("orders", b"k", b"{not json"),
        ("payments", b"k", f.envelope("PaymentCompleted", "payments", {"order_id": order})),
        ("orders", b"tombstone", None),
    ]
    produce(settings, messages)

    summary = ingest_until_idle(settings)

    table = raw(settings)
    assert summary.raw_events == 2
    assert table.num_rows == 2
    assert sorted(table["event_type"].to_pylist()) == ["OrderPlaced", "SessionStarted"]
    row = next(r for r in table.to_pylist() if r["source_service"] == "orders")
    assert row["topic"] == f"{settings.kafka_topic_prefix}orders"
    assert row["event_date"].isoformat() == "2026-03-01"
    assert row["schema_version"] == 1
    assert '"order_total":"10.50"' in row["payload"]

    dead = dead_letters(settings)
    assert Counter(dead["reason"].to_pylist()) == {"not_json": 2, "missing_field": 1}
    assert b"{not json" in dead["raw"].to_pylist()

    # A second run finds everything written: nothing is added.
    assert ingest_until_idle(settings).raw_events == 0
    assert raw(settings).num_rows == 2
    assert dead_letters(settings).num_rows == 3


def test_live_metrics_sum_orders_revenue_sessions_and_payments_once_per_event_id(
    settings: Settings,
) -> None:
    session = str(uuid.uuid4())
    orders = [str(uuid.uuid4()) for _ in range(3)]
    at = f.BASE_TIME
    duplicate_id = str(uuid.uuid4())
    placed = f.order_placed(
        orders[0], session, total="19.99", region="ARA", at=at, event_id=duplicate_id
    )
    messages = [
        (
            "storefront",
            session.encode(),
            f.session_started(session, region="ARA", channel="email", at=at),
        ),
        ("orders", orders[0].encode(), placed),
        (
            "orders",
            orders[1].encode(),
            f.order_placed(orders[1], session, total="5.01", region="ARA", at=at + f.minutes(1)),
        ),
        ("orders", orders[0].encode(), placed),  # a producer retry: same event_id, new offset
        (
            "payments",
            b"p",
            f.payment(orders[0], succeeded=True, provider="adyen", amount="19.99", at=at),
        ),
        (
            "payments",
            b"p",
            f.payment(
                orders[1], succeeded=False, provider="adyen", amount="5.01", at=at + f.minutes(1)
            ),
        ),
        ("storefront", session.encode(), f.page_viewed(session, at=at + f.minutes(1))),
    ]
    # Topics are read in no set order relative to each other, so the live path can only attribute
    # an order to its session's channel once it has seen the session. Three runs in turn (session;
    # orders; retry and payments) make that deterministic, and prove the lookups and the duplicate
    # window survive a restart: each run seeds them from the raw table.
    for phase in (messages[:1], messages[1:3], messages[3:]):
        produce(settings, phase)
        ingest_until_idle(settings, FlushPolicy(max_records=2, max_latency_s=0.2))

    assert raw(settings).num_rows == 7  # the raw store keeps every Kafka record
    rows = live(settings).to_pylist()
    by_minute: dict[int, dict[str, object]] = {}
    for row in rows:
        m = by_minute.setdefault(
            row["minute"].minute,
            {"orders": 0, "revenue": Decimal(0), "ok": 0, "failed": 0, "sessions": set()},
        )
        m["orders"] += row["orders_placed"]  # type: ignore[operator]
        m["revenue"] += row["revenue_amount"]  # type: ignore[operator]
        m["ok"] += row["payment_successes"]  # type: ignore[operator]
        m["failed"] += row["payment_failures"]  # type: ignore[operator]
        if row["session_id"]:
            m["sessions"].add(row["session_id"])  # type: ignore[union-attr]
        if row["orders_placed"]:
            assert (row["region"], row["channel"]) == ("ARA", "email")
        if row["payment_successes"] or row["payment_failures"]:
            assert row["payment_provider"] == "adyen"
            assert (row["region"], row["channel"]) == ("ARA", "email")
    assert by_minute[0] == {
        "orders": 1,
        "revenue": Decimal("19.99"),
        "ok": 1,
        "failed": 0,
        "sessions": {session},
    }
    assert by_minute[1] == {
        "orders": 1,
        "revenue": Decimal("5.01"),
        "ok": 0,
        "failed": 1,
        "sessions": {session},
    }
