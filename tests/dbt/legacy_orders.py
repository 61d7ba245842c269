"""A historical orders export of a shop the lake has never seen (customers, products and warehouse
unknown), and the customer and catalog events that describe them, exported separately: the
inferred-member tests backfill the orders first and the master data later."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

NAMESPACE = uuid.UUID("0b5e6f1c-2f4e-4d7a-9c1e-7a3f5d2b8c90")
CUSTOMERS = 40
PRODUCTS = 12
ORDERS = 320  # 8 per customer
FIRST_ORDER = datetime(2022, 1, 1, tzinfo=UTC)
ORDER_SPAN_DAYS = 4 * 365
CREATED_AT = datetime(2021, 6, 1, tzinfo=UTC)
CITIES = [("Portland", "OR", "US"), ("Boise", "ID", "US")]


def legacy_id(kind: str, number: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}/{number}"))


def event(event_type: str, service: str, at: datetime, key: str, payload: dict[str, Any]) -> bytes:
    """One raw event message as the services publish it (and the simulator writes it)."""
    return orjson.dumps(
        {
            "event_id": str(uuid.uuid5(NAMESPACE, f"{event_type}/{key}")),
            "event_type": event_type,
            "schema_version": 1,
            "event_time": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "source_service": service,
            "correlation_id": str(uuid.uuid5(NAMESPACE, f"correlation/{key}")),
            "causation_id": None,
            "payload": payload,
        }
    )


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


@dataclass(frozen=True)
class LegacyHistory:
    """Orders of a pre-ACME shop, and the master data of their customers and products."""

    orders: list[bytes]
    registrations: list[bytes]
    creations: list[bytes]
    order_totals: dict[str, Decimal]
    line_totals: dict[str, Decimal]
    customer_cities: dict[str, str]
    product_prices: dict[str, Decimal]
    warehouse_id: str


def legacy_history() -> LegacyHistory:
    """Four years of multi-line orders from one warehouse; customers register and products are
    created before their first order, but those events are exported separately."""
    rng = random.Random(15)
    warehouse_id = legacy_id("warehouse", 1)
    prices = {
        legacy_id("product", number): Decimal(rng.randint(300, 20_000)) / 100
        for number in range(PRODUCTS)
    }
    products = sorted(prices)
    cities = {legacy_id("customer", number): CITIES[number % 2] for number in range(CUSTOMERS)}
    customers = sorted(cities)
    orders, order_totals, line_totals = [], {}, {}
    for number in range(ORDERS):
        order_id = legacy_id("order", number)
        customer_id = customers[number % CUSTOMERS]
        at = FIRST_ORDER + timedelta(seconds=rng.randrange(ORDER_SPAN_DAYS * 86_400))
        lines: list[dict[str, Any]] = []
        for line_number, product_id in enumerate(rng.sample(products, rng.randint(1, 3)), 1):
            quantity = rng.randint(1, 4)
            discount = Decimal(rng.choice([0, 0, 150]) / 100)
            line_total = prices[product_id] * quantity - discount
            line_totals[f"{order_id}-{line_number}"] = line_total
            lines.append(
                {
                    "line_number": line_number,
                    "product_id": product_id,
                    "seller_id": None,
                    "quantity": quantity,
                    "unit_price": money(prices[product_id]),
                    "discount": money(discount),
                    "line_total": money(line_total),
                    "promotion_code": None,
                }
            )
        subtotal = sum((Decimal(line["line_total"]) for line in lines), Decimal(0))
        shipping_fee, tax = Decimal("4.90"), (subtotal * Decimal("0.2")).quantize(Decimal("0.01"))
        order_totals[order_id] = subtotal + shipping_fee + tax
        city, region, country = cities[customer_id]
        orders.append(
            event(
                "OrderPlaced",
                "orders",
                at,
                order_id,
                {
                    "order_id": order_id,
                    "customer_id": customer_id,
                    "cart_id": legacy_id("cart", number),
                    "session_id": legacy_id("session", number),
                    "warehouse_id": warehouse_id,
                    "currency": "USD",
                    "lines": lines,
                    "subtotal": money(subtotal),
                    "shipping_fee": money(shipping_fee),
                    "tax": money(tax),
                    "order_total": money(order_totals[order_id]),
                    "promotion_code": None,
                    "shipping_city": city,
                    "shipping_region": region,
                    "shipping_country": country,
                },
            )
        )
    registrations = [
        event(
            "CustomerRegistered",
            "customers",
            datetime(2021, 1, 1, tzinfo=UTC) + timedelta(days=number),
            customer_id,
            {
                "customer_id": customer_id,
                "email": f"legacy{number}@example.com",
                "first_name": "Legacy",
                "last_name": f"Customer {number}",
                "phone": "+1-503-555-0100",
                "street": f"{number} Main St",
                "postal_code": "97201",
                "city": cities[customer_id][0],
                "region": cities[customer_id][1],
                "country": cities[customer_id][2],
                "latitude": 45.52,
                "longitude": -122.68,
                "signup_channel": "organic",
                "campaign_id": None,
                "ip_address": "192.0.2.1",
                "marketing_opt_in": number % 2 == 0,
                "birth_year": 1950 + number,
            },
        )
        for number, customer_id in enumerate(customers)
    ]
    creations = [
        event(
            "ProductCreated",
            "catalog",
            CREATED_AT,
            product_id,
            {
                "product_id": product_id,
                "sku": f"LEG-{number:06d}",
                "name": f"Legacy product {number}",
                "brand": "Legacy",
                "department": "Home",
                "category": "Kitchen",
                "subcategory": "Cookware",
                "price": money(prices[product_id]),
                "cost": money(prices[product_id] / 2),
                "currency": "USD",
                "seller_id": None,
            },
        )
        for number, product_id in enumerate(products)
    ]
    return LegacyHistory(
        orders=orders,
        registrations=registrations,
        creations=creations,
        order_totals=order_totals,
        line_totals=line_totals,
        customer_cities={key: value[0] for key, value in cities.items()},
        product_prices=prices,
        warehouse_id=warehouse_id,
    )


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path
