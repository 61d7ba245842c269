"""End to end: an order produced to Kafka shows on Executive Live within 10 seconds.

Real broker, real ingester (in a thread, default flush policy), real live Delta table, real
Superset and Chromium: nothing in between is simulated.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import duckdb
import orjson
import pytest
from deltalake import DeltaTable
from kafka import KafkaProducer
from playwright.sync_api import Browser

from acme.kafka.client import client_options
from acme.kafka.local_broker import LocalBroker
from acme.kafka.topics import ensure_topics, topic_for
from acme.settings import Settings
from ingest.ingester import FlushPolicy, Ingester
from ingest.tables import LIVE_MINUTE_METRICS
from tests.superset.conftest import SupersetServer, log_in
from tests.superset.dashboard_page import big_numbers, open_dashboard

pytestmark = [pytest.mark.superset, pytest.mark.kafka]


def _event(event_type: str, context: str, payload: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "schema_version": 1,
            "event_time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "source_service": context,
            "correlation_id": str(uuid.uuid4()),
            "causation_id": None,
            "payload": payload,
        }
    )


def _order(total: str, region: str) -> list[tuple[str, bytes]]:
    session_id, order_id = str(uuid.uuid4()), str(uuid.uuid4())
    session = {
        "session_id": session_id, "customer_id": None, "anonymous_id": str(uuid.uuid4()),
        "device_type": "mobile", "os": "iOS", "browser": "Safari", "channel": "web",
        "ip_address": "203.0.113.7", "city": "Los Angeles", "region": region, "country": "US",
        "latitude": 34.05, "longitude": -118.24,
    }  # fmt: skip
    order = {
        "order_id": order_id, "customer_id": str(uuid.uuid4()), "cart_id": str(uuid.uuid4()),
        "session_id": session_id, "warehouse_id": str(uuid.uuid4()), "currency": "USD",
        "lines": [{"line_number": 1, "product_id": str(uuid.uuid4()), "quantity": 1,
                   "unit_price": total, "discount": "0.00", "line_total": total}],
        "subtotal": total, "shipping_fee": "0.00", "tax": "0.00", "order_total": total,
        "shipping_city": "Los Angeles", "shipping_region": region, "shipping_country": "US",
    }  # fmt: skip
    return [
        ("storefront", _event("SessionStarted", "storefront", session)),
        ("orders", _event("OrderPlaced", "orders", order)),
    ]


def live_order_value(settings: Settings) -> Decimal:
    """Order value placed in the last 24 hours in the live table, read directly (what the
    chart sums)."""
    table = DeltaTable(str(LIVE_MINUTE_METRICS.path(settings.lake_root)))
    with duckdb.connect() as conn:
        conn.register("live", table.to_pyarrow_dataset())
        row = conn.execute(
            "select coalesce(sum(revenue_amount), 0) from live "
            "where minute >= now() - interval 24 hour"
        ).fetchone()
    assert row is not None
    return Decimal(row[0])


def test_an_order_through_kafka_reaches_executive_live_within_10_seconds(
    superset_server: SupersetServer, browser: Browser, kafka_broker: LocalBroker
) -> None:
    settings = Settings(
        kafka_bootstrap_servers=kafka_broker.bootstrap_servers,
        kafka_topic_prefix=f"sst{uuid.uuid4().hex[:6]}.",
        lake_root=superset_server.lake_root,
    )
    ensure_topics(settings)
    stop = threading.Event()
    ingester = threading.Thread(
        target=Ingester(settings, FlushPolicy()).run, args=(stop,), daemon=True
    )
    ingester.start()
    producer = KafkaProducer(**client_options(settings), acks="all", linger_ms=0)

    def produce_order(total: Decimal) -> float:
        for context_name, value in _order(str(total), "CA"):
            producer.send(topic_for(context_name, settings), value=value)
        producer.flush()
        return time.monotonic()

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        # A running ingester is the premise: wait until a first order has gone all the way through
        # (consumer group joined, partitions assigned), then time the second one.
        warm_up = live_order_value(settings)
        produce_order(Decimal("1.00"))
        deadline = time.monotonic() + 120
        while live_order_value(settings) == warm_up and time.monotonic() < deadline:
            time.sleep(0.2)
        page = context.new_page()
        log_in(page, superset_server, "viewer")
        states = open_dashboard(page, superset_server.url, "executive-live", 9)
        before = Decimal(big_numbers(states)["Order value (24 h)"].replace(",", ""))
        total = Decimal("321.09")
        in_lake = before + total
        produced_at = produce_order(total)
        landed_after = None
        revenue = page.locator(
            '[data-test="dashboard-component-chart-holder"]:has-text("Order value (24 h)") .header-line'
        )
        expected = f"{before + total:,.2f}"
        while time.monotonic() - produced_at < 10 and revenue.inner_text() != expected:
            if landed_after is None and live_order_value(settings) >= in_lake:
                landed_after = time.monotonic() - produced_at
            page.wait_for_timeout(200)
        shown, seconds = revenue.inner_text(), time.monotonic() - produced_at
    finally:
        context.close()
        producer.close()
        stop.set()
        ingester.join(timeout=60)
    assert shown == expected, (
        f"Executive Live shows {shown} {seconds:.1f} s after producing, not {expected} "
        f"(the order reached the live table after {landed_after} s)"
    )
    assert shown == expected, f"Executive Live shows {shown} {seconds:.1f} s after producing"
    assert seconds <= 10
