"""The truth manifest agrees with a straightforward recount of the emitted files: validate each
line, drop malformed messages and re-deliveries, replay the rest in event-time order."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from acme.contracts import InvalidEvent, validate
from simulator import SimulationConfig, simulate
from simulator.sinks import write_jsonl

CONFIG = SimulationConfig(seed=5, days=10, customers=1200, bad_share=0.02, duplicate_share=0.02)


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    write_jsonl(simulate(CONFIG), out)
    return out


def recount(out: Path) -> dict[str, Any]:
    seen: set[str] = set()
    events = []
    duplicates = bad = 0
    for path in sorted(out.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            try:
                event = validate(line)
            except InvalidEvent:
                bad += 1
                continue
            if event.event_id in seen:
                duplicates += 1
                continue
            seen.add(event.event_id)
            events.append(event)
    events.sort(key=lambda e: e.event_time)

    category: dict[str, str] = {}
    channel_of_session: dict[str, str] = {}
    cancelled: set[str] = set()
    orders: dict[str, tuple[str, str, str, list[tuple[str, Decimal]]]] = {}
    by_type: Counter[str] = Counter()
    refunds = Decimal("0.00")
    refund_count = returns = abandoned = late = 0
    window_start = json.loads((out / "truth.json").read_text())["window"]["start"][:10]
    signups: Counter[str] = Counter()
    stockouts = set()
    for event in events:
        p = event.payload
        by_type[event.event_type] += 1
        match event.event_type:
            case "ProductCreated" | "CategoryChanged":
                category[p["product_id"]] = p["category"]
            case "SessionStarted":
                channel_of_session[p["session_id"]] = p["channel"]
            case "OrderPlaced":
                lines = [(category[x["product_id"]], Decimal(x["line_total"])) for x in p["lines"]]
                orders[p["order_id"]] = (
                    event.event_time.date().isoformat(),
                    channel_of_session[p["session_id"]],
                    p["customer_id"],
                    lines,
                )
            case "OrderCancelled":
                cancelled.add(p["order_id"])
            case "RefundProcessed":
                refunds += Decimal(p["amount"])
                refund_count += 1
            case "ReturnInitiated":
                returns += 1
            case "CartAbandoned":
                abandoned += 1
            case "CustomerRegistered":
                if event.event_time.date().isoformat() >= window_start:
                    signups[p["signup_channel"]] += 1
            case "ShipmentDelivered":
                late += event.event_time.date().isoformat() > p["promised_delivery_date"]
            case "StockLevelChanged" | "StockReserved" | "StockReleased" | "ReorderTriggered":
                if p["quantity_available"] == 0:
                    stockouts.add((p["product_id"], p["warehouse_id"], event.event_time.date()))

    revenue_by_day: defaultdict[str, Decimal] = defaultdict(Decimal)
    revenue_by_category: defaultdict[str, Decimal] = defaultdict(Decimal)
    revenue_by_channel: defaultdict[str, Decimal] = defaultdict(Decimal)
    conversions: Counter[str] = Counter()
    customers = set()
    for order_id, (day, channel, customer, lines) in orders.items():
        if order_id in cancelled:
            continue
        conversions[channel] += 1
        customers.add(customer)
        for cat, amount in lines:
            revenue_by_day[day] += amount
            revenue_by_category[cat] += amount
            revenue_by_channel[channel] += amount
    return {
        "revenue": str(sum(revenue_by_day.values(), Decimal("0.00"))),
        "revenue_by_day": {k: str(v) for k, v in sorted(revenue_by_day.items())},
        "revenue_by_category": {k: str(v) for k, v in sorted(revenue_by_category.items())},
        "revenue_by_channel": {k: str(v) for k, v in sorted(revenue_by_channel.items())},
        "orders_placed": len(orders),
        "orders_cancelled": len(cancelled),
        "distinct_customers": len(customers),
        "conversions_by_channel": dict(sorted(conversions.items())),
        "carts_abandoned": abandoned,
        "refunds": (refund_count, str(refunds)),
        "returns": returns,
        "stockout_days": len(stockouts),
        "shipments_delivered_late": late,
        "by_type": dict(sorted(by_type.items())),
        "signups": dict(sorted(signups.items())),
        "duplicates": duplicates,
        "bad": bad,
    }


def test_truth_manifest_matches_an_independent_recount(output: Path) -> None:
    truth = json.loads((output / "truth.json").read_text())
    counted = recount(output)
    assert counted["orders_placed"] > 50, "the run is too small to prove anything"
    assert counted["revenue"] == truth["revenue"]
    assert counted["revenue_by_day"] == truth["revenue_by_day"]
    assert counted["revenue_by_category"] == truth["revenue_by_category"]
    assert counted["revenue_by_channel"] == truth["revenue_by_channel"]
    assert counted["orders_placed"] == truth["orders_placed"]
    assert counted["orders_cancelled"] == truth["orders_cancelled"]
    assert counted["distinct_customers"] == truth["distinct_customers"]
    assert counted["conversions_by_channel"] == truth["conversions_by_channel"]
    assert counted["carts_abandoned"] == truth["carts_abandoned"]
    assert counted["refunds"] == (truth["refunds"]["count"], truth["refunds"]["amount"])
    assert counted["returns"] == truth["returns"]["count"]
    assert counted["stockout_days"] == truth["stockout_days"]
    assert counted["shipments_delivered_late"] == truth["shipments_delivered_late"]
    assert counted["by_type"] == truth["events"]["by_type"]
    assert counted["signups"] == truth["customers_registered_in_window_by_channel"]
    assert counted["duplicates"] == truth["events"]["duplicate_deliveries"] > 0
    assert counted["bad"] == truth["events"]["bad"] > 0


def test_manifest_labels_every_incident_inside_the_window(output: Path) -> None:
    truth = json.loads((output / "truth.json").read_text())
    kinds = {i["kind"] for i in truth["incidents"]}
    assert kinds == {
        "payment_provider_outage",
        "traffic_spike",
        "pricing_bug",
        "carrier_delay",
        "stockout_wave",
    }
    window_start = truth["window"]["start"]
    assert all(window_start <= i["start"] < i["end"] for i in truth["incidents"])


def test_the_world_behaves_like_a_shop(output: Path) -> None:
    truth = json.loads((output / "truth.json").read_text())
    carts = truth["carts_created"]
    assert 0.4 < truth["carts_abandoned"] / carts < 0.85  # industry: roughly 60-80 %
    assert len(truth["revenue_by_channel"]) == 6
    assert truth["stockout_days"] > 0


def test_the_payment_outage_fails_exactly_the_provider_s_payments_in_its_window(
    output: Path,
) -> None:
    truth = json.loads((output / "truth.json").read_text())
    (outage,) = [i for i in truth["incidents"] if i["kind"] == "payment_provider_outage"]
    provider = outage["affected"]["provider"]
    attempts = 0
    for line in (output / "payments.jsonl").read_bytes().splitlines():
        try:
            event = validate(line)
        except InvalidEvent:
            continue
        if event.event_type != "PaymentInitiated":
            continue
        inside = outage["start"] <= event.event_time.isoformat().replace("+00:00", "Z")
        inside = inside and event.event_time.isoformat().replace("+00:00", "Z") < outage["end"]
        if inside and event.payload["provider"] == provider:
            attempts += 1
    failures = truth["payment_failures_by_reason"].get("provider_unavailable", 0)
    assert failures == attempts
