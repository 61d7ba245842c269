"""A small serving database (every mart, as its dbt contract has it) and live/dead-letter Delta
tables.

Test data, not production code: the Superset tests use it so they need neither Kafka nor a dbt
build. Timestamps are relative to now, so "last 24 hours" charts always have data to show.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from deltalake import write_deltalake

from acme.settings import REPO_ROOT
from ingest.tables import DEAD_LETTERS, LIVE_MINUTE_METRICS

MARTS: dict[str, Any] = json.loads(
    (REPO_ROOT / "superset" / "bundles" / "metrics.json").read_text()
)["marts"]

REGIONS = ("CA", "NY", "TX", "IL")
CHANNELS = ("web", "mobile", "marketplace")
PROVIDERS = ("card", "paypal", "klarna")
STATUSES = ("placed", "confirmed", "paid", "shipped", "delivered", "returned", "cancelled")
CATEGORIES = {"electronics": ("phones", "laptops"), "home": ("kitchen", "garden")}
SEGMENTS = ("new", "regular", "vip")
# The columns the sample rows fill, in their tuples' order.
PRODUCT_COLUMNS = (
    "product_id", "product_name", "brand", "department", "category", "subcategory", "is_current",
)  # fmt: skip
CUSTOMER_COLUMNS = ("customer_id", "segment", "region", "country", "is_current")
ORDER_COLUMNS = (
    "order_id", "customer_id", "channel", "currency", "order_total", "gross_amount",
    "revenue_amount", "net_revenue_amount", "refunded_amount", "shipping_region", "ordered_at",
    "ordered_date", "order_status", "is_cancelled",
)  # fmt: skip
LINE_COLUMNS = (
    "order_line_id", "order_id", "line_number", "customer_id", "product_id", "channel",
    "department", "category", "subcategory", "ordered_at", "ordered_date", "quantity",
    "unit_price", "discount", "line_total", "cost_amount", "margin_amount", "currency",
)  # fmt: skip
PAYMENT_COLUMNS = (
    "payment_id", "order_id", "customer_id", "amount", "currency", "provider", "method",
    "initiated_at", "payment_date", "payment_status", "is_successful",
)  # fmt: skip
STOCK_COLUMNS = (
    "product_id", "warehouse_id", "stock_date", "closing_quantity_on_hand",
    "closing_quantity_available", "had_stockout",
)  # fmt: skip


def build_serving_db(path: Path, seed: int = 7) -> None:
    """Write every mart (empty ones too, each as its dbt contract has it), sample rows in those the
    dashboards read, and a restricted PII table readers must never reach, into `path`."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    products = [
        (
            f"P{i:03d}",
            f"Product {i}",
            f"brand-{i % 3}",
            "general",
            category,
            subcategories[i % 2],
            True,
        )
        for i, (category, subcategories) in enumerate(list(CATEGORIES.items()) * 5)
    ]
    customers = [(f"C{i:04d}", SEGMENTS[i % 3], REGIONS[i % 4], "US", True) for i in range(60)]
    orders, lines, payments = [], [], []
    for n in range(400):
        customer = customers[rng.randrange(len(customers))]
        ordered_at = now - timedelta(minutes=rng.randrange(60 * 24 * 90))
        order_id = f"O{n:05d}"
        channel = CHANNELS[n % 3]
        total = Decimal("0.00")
        for line_number in range(1, rng.randint(1, 3) + 1):
            product = products[rng.randrange(len(products))]
            quantity = rng.randint(1, 4)
            unit_price = Decimal(rng.randrange(500, 50_000)) / 100
            discount = Decimal(rng.randrange(0, 300)) / 100
            line_total = unit_price * quantity - discount
            cost = (unit_price * Decimal("0.6")).quantize(Decimal("0.01")) * quantity
            total += line_total
            lines.append(
                (f"{order_id}-{line_number}", order_id, line_number, customer[0], product[0],
                 channel, product[3], product[4], product[5], ordered_at, ordered_at.date(),
                 quantity, unit_price, discount, line_total, cost, line_total - cost, "USD")
            )  # fmt: skip
        status = STATUSES[rng.randrange(len(STATUSES))]
        cancelled = status == "cancelled"
        refunded = (total / 2).quantize(Decimal("0.01")) if status == "returned" else Decimal(0)
        revenue = Decimal(0) if cancelled else total
        net_revenue = Decimal(0) if cancelled else revenue - refunded
        orders.append(
            (order_id, customer[0], channel, "USD", total, total, revenue, net_revenue, refunded,
             customer[2], ordered_at, ordered_at.date(), status, cancelled)
        )  # fmt: skip
        succeeded = n % 11 != 0
        payments.append(
            (f"PAY{n:05d}", order_id, customer[0], total, "USD", PROVIDERS[n % 3], "wallet",
             ordered_at + timedelta(minutes=1), ordered_at.date(),
             "completed" if succeeded else "failed", succeeded)
        )  # fmt: skip
    stock = [
        (p[0], f"W{w}", now.date() - timedelta(days=back), on_hand, on_hand - 1, on_hand <= 0)
        for p in products
        for w in (1, 2)
        for back, on_hand in ((0, rng.randrange(-1, 40)), (1, rng.randrange(0, 40)))
    ]
    if path.exists():
        path.unlink()
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts; create schema restricted")
        create_marts(conn)
        insert(conn, "dim_products", PRODUCT_COLUMNS, products)
        insert(conn, "dim_customers", CUSTOMER_COLUMNS, customers)
        insert(conn, "fct_orders", ORDER_COLUMNS, orders)
        insert(conn, "fct_order_lines", LINE_COLUMNS, lines)
        insert(conn, "fct_payments", PAYMENT_COLUMNS, payments)
        insert(conn, "fct_daily_stock", STOCK_COLUMNS, stock)
        # The Sales & Revenue mart, denormalised the way dbt_project's sales_order_lines is.
        conn.execute(
            "insert into marts.sales_order_lines by name "
            "select lines.order_line_id, lines.order_id, lines.ordered_at, lines.ordered_date, "
            "orders.shipping_region as region, lines.channel, customers.segment, "
            "lines.department, lines.category, lines.subcategory, products.brand, "
            "products.product_name, orders.is_cancelled, lines.quantity, "
            "lines.line_total as gross_amount, lines.margin_amount, "
            "lines.currency "
            "from marts.fct_order_lines as lines "
            "left join marts.fct_orders as orders on lines.order_id = orders.order_id "
            "left join marts.dim_products as products on lines.product_id = products.product_id "
            "left join marts.dim_customers as customers "
            "on lines.customer_id = customers.customer_id"
        )
        # The period-comparison mart's shape (dbt_project's revenue_by_day); comparisons unknown.
        conn.execute(
            "insert into marts.revenue_by_day by name select "
            "ordered_date as revenue_date, currency, sum(revenue_amount) as revenue_amount, "
            "ordered_date::varchar || '/' || currency as revenue_day_id "
            "from marts.fct_orders group by ordered_date, currency"
        )
        conn.execute(
            "create table restricted.pii_customers as "
            "select customer_id, customer_id || '@example.com' as email "
            "from marts.dim_customers"
        )
        # Incomplete master data, as dbt_project's dimension_completeness counts it.
        conn.execute(
            "insert into marts.dimension_completeness by name select * from (values "
            "('dim_customers', 600, 12, 0.02), ('dim_products', 40, 3, 0.075), "
            "('dim_warehouses', 4, 1, 0.25), ('dim_carriers', 4, 0, 0.0), "
            "('dim_suppliers', 5, 0, 0.0), ('dim_campaigns', 9, 0, 0.0)) "
            "as t(dimension_name, members, inferred_members, inferred_share)"
        )


def create_marts(conn: duckdb.DuckDBPyConnection) -> None:
    """Every mart of the dbt project, empty, with its contract's columns and types (carried from
    dbt into metrics.json by `acme warehouse metrics`), so each Superset dataset finds its mart
    exactly as a dbt build publishes it."""
    for mart, spec in MARTS.items():
        columns = ", ".join(f'"{name}" {doc["type"]}' for name, doc in spec["columns"].items())
        conn.execute(f"create table marts.{mart} ({columns})")


def insert(
    conn: duckdb.DuckDBPyConnection, mart: str, columns: tuple[str, ...], rows: list[Any]
) -> None:
    """Add `rows` (values of `columns`, in order) to `mart`; its other columns stay null."""
    names = ", ".join(f'"{column}"' for column in columns)
    marks = ", ".join("?" for _ in columns)
    conn.executemany(f"insert into marts.{mart} ({names}) values ({marks})", rows)


def live_rows(now: datetime, rng: random.Random, minutes: int = 30) -> pa.Table:
    """Per-minute partials like the ingester's, for the last `minutes` minutes."""
    rows: dict[str, list[object]] = {f.name: [] for f in LIVE_MINUTE_METRICS.schema}
    for back in range(minutes):
        minute = (now - timedelta(minutes=back)).replace(second=0, microsecond=0)
        for region in REGIONS:
            channel = CHANNELS[back % 3]
            provider = PROVIDERS[back % 3]
            for key, value in {
                "minute": minute,
                "region": region,
                "channel": channel,
                "payment_provider": provider,
                "currency": "USD",
                "session_id": None,
                "orders_placed": rng.randint(0, 5),
                "revenue_amount": Decimal(rng.randrange(0, 100_000)) / 100,
                "payment_successes": rng.randint(0, 5),
                "payment_failures": rng.randint(0, 1),
                "flushed_at": now,
            }.items():
                rows[key].append(value)
            for session in range(rng.randint(1, 3)):
                for key, value in {
                    "minute": minute,
                    "region": region,
                    "channel": channel,
                    "payment_provider": None,
                    "currency": None,
                    "session_id": f"S{back}-{region}-{session}",
                    "orders_placed": 0,
                    "revenue_amount": Decimal("0.00"),
                    "payment_successes": 0,
                    "payment_failures": 0,
                    "flushed_at": now,
                }.items():
                    rows[key].append(value)
    return pa.Table.from_pydict(rows, schema=LIVE_MINUTE_METRICS.schema)


def build_live_tables(lake_root: Path, seed: int = 7) -> None:
    """Write the live minute metrics and a few dead letters as Delta tables under `lake_root`."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    write_deltalake(str(LIVE_MINUTE_METRICS.path(lake_root)), live_rows(now, rng), mode="overwrite")
    dead = {
        "topic": ["acme.orders", "acme.payments", "acme.orders"],
        "partition": [0, 1, 2],
        "offset": [5, 9, 12],
        "key": [None, None, None],
        "raw": [b"{", b"{}", b"[]"],
        "reason": ["invalid_json", "schema_violation", "schema_violation"],
        "detail": ["unexpected end", "missing event_id", "not an object"],
        "received_at": [now - timedelta(minutes=m) for m in (3, 30, 90)],
    }
    write_deltalake(
        str(DEAD_LETTERS.path(lake_root)),
        pa.Table.from_pydict(dead, schema=DEAD_LETTERS.schema),
        mode="overwrite",
    )


def append_live_order(lake_root: Path, region: str, revenue: Decimal) -> None:
    """Append one minute partial with a single order, as the ingester does after a flush."""
    now = datetime.now(UTC)
    table = pa.Table.from_pydict(
        {
            "minute": [now.replace(second=0, microsecond=0)],
            "region": [region],
            "channel": ["web"],
            "payment_provider": [None],
            "currency": ["USD"],
            "session_id": [None],
            "orders_placed": [1],
            "revenue_amount": [revenue],
            "payment_successes": [0],
            "payment_failures": [0],
            "flushed_at": [now],
        },
        schema=LIVE_MINUTE_METRICS.schema,
    )
    write_deltalake(str(LIVE_MINUTE_METRICS.path(lake_root)), table, mode="append")
