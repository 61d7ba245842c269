"""A backfill of orders whose customers, products and warehouse the lake has never seen publishes
with every total right and placeholder (inferred) dimension members; when the customers' and
products' events arrive, a rebuild fills the members in, as a full refresh would
(docs/decisions/inferred-members.md)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from acme.settings import Settings
from acme.warehouse.dbt import build
from acme.warehouse.publish import publish
from tests.dbt.dbt_lake import SimulatedLake, backfill, lake_settings

pytestmark = pytest.mark.slow

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


@pytest.fixture(scope="module")
def history() -> LegacyHistory:
    return legacy_history()


DataTestResults = dict[str, tuple[str, int | None]]
"""Data test name -> (status, failing rows) of one `dbt build`."""


def data_test_results(target: Path) -> DataTestResults:
    results = orjson.loads((target / "run_results.json").read_bytes())["results"]
    return {
        result["unique_id"].split(".")[2]: (result["status"], result["failures"])
        for result in results
        if result["unique_id"].startswith("test.")
    }


@dataclass(frozen=True)
class Backfilled:
    """The shop's lake plus the legacy orders, built and published; then the legacy master data
    arrives and the same build database is rebuilt incrementally."""

    root: Path
    settings: Settings
    first_tests: DataTestResults
    first_release: Path
    second_tests: DataTestResults
    snapshot_before_fill: dict[str, int]


@pytest.fixture(scope="module")
def backfilled(
    built_lake: SimulatedLake, history: LegacyHistory, tmp_path_factory: pytest.TempPathFactory
) -> Backfilled:
    root = tmp_path_factory.mktemp("inferred")
    settings = lake_settings(root)
    backfill(settings, sorted(built_lake.jsonl_dir.glob("*.jsonl")))
    backfill(settings, [write_lines(root / "legacy_orders.jsonl", history.orders)])
    # a failing error-severity test would raise here, and nothing would be published
    build(settings, target_path=root / "target", capture=True)
    first_tests = data_test_results(root / "target")
    first_release = publish(settings).resolve()
    with duckdb.connect(str(settings.duckdb_build_path), read_only=True) as conn:
        snapshot_before_fill = dict(
            conn.execute(
                "select 'customers', count(*) from snapshots.snp_customers union all "
                "select 'products', count(*) from snapshots.snp_products"
            ).fetchall()
        )
    backfill(
        settings,
        [
            write_lines(root / "legacy_customers.jsonl", history.registrations),
            write_lines(root / "legacy_catalog.jsonl", history.creations),
        ],
    )
    build(settings, target_path=root / "target", capture=True)
    return Backfilled(
        root,
        settings,
        first_tests,
        first_release,
        data_test_results(root / "target"),
        snapshot_before_fill,
    )


@pytest.fixture
def first_release(backfilled: Backfilled) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(backfilled.first_release), read_only=True) as conn:
        yield conn


@pytest.fixture
def rebuilt(backfilled: Backfilled) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(backfilled.settings.duckdb_build_path), read_only=True) as conn:
        yield conn


def legacy_keys(conn: duckdb.DuckDBPyConnection, history: LegacyHistory) -> None:
    conn.execute("create or replace temp table legacy_orders (order_id varchar)")
    conn.executemany("insert into legacy_orders values (?)", [[k] for k in history.order_totals])


def inferred_member_tests(results: DataTestResults) -> dict[str, tuple[str, int | None]]:
    prefix, suffix = "no_inferred_members_", "_is_inferred"
    return {
        name.removeprefix(prefix).removesuffix(suffix): outcome
        for name, outcome in results.items()
        if name.startswith(prefix)
    }


def test_the_build_passes_its_blocking_tests_and_warns_of_the_inferred_members(
    backfilled: Backfilled, history: LegacyHistory
) -> None:
    results = backfilled.first_tests
    assert {status for status, _ in results.values()} == {"pass", "warn"}
    relationships = [name for name in results if name.startswith("relationships_fct_order")]
    assert len(relationships) >= 5
    assert all(results[name] == ("pass", 0) for name in relationships)
    assert inferred_member_tests(results) == {
        "dim_customers": ("warn", CUSTOMERS),
        "dim_products": ("warn", PRODUCTS),
        "dim_warehouses": ("warn", 1),
        "dim_carriers": ("pass", 0),
        "dim_suppliers": ("pass", 0),
        "dim_campaigns": ("pass", 0),
    }
    # the lines of unknown products cannot be costed yet: a warning, not a blocked publish
    assert results["not_null_fct_order_lines_product_version_id"] == (
        "warn",
        len(history.line_totals),
    )


def test_every_backfilled_order_and_line_joins_and_the_totals_are_exact(
    first_release: duckdb.DuckDBPyConnection, history: LegacyHistory
) -> None:
    legacy_keys(first_release, history)
    orders = first_release.execute(
        "select count(*), sum(fct_orders.order_total), count(dim_customers.customer_id) "
        "from marts.fct_orders join legacy_orders using (order_id) "
        "left join marts.dim_customers on fct_orders.customer_id = dim_customers.customer_id "
        "and dim_customers.is_current"
    ).fetchone()
    assert orders == (ORDERS, sum(history.order_totals.values()), ORDERS)
    lines = first_release.execute(
        "select count(*), sum(line_total), count(dim_products.product_id), "
        "count(dim_warehouses.warehouse_id) "
        "from marts.fct_order_lines join legacy_orders using (order_id) "
        "left join marts.dim_products on fct_order_lines.product_id = dim_products.product_id "
        "and dim_products.is_current "
        "left join marts.dim_warehouses using (warehouse_id)"
    ).fetchone()
    expected_lines = len(history.line_totals)
    assert lines == (
        expected_lines,
        sum(history.line_totals.values()),
        expected_lines,
        expected_lines,
    )


def test_the_unknown_keys_are_inferred_members_with_placeholders(
    first_release: duckdb.DuckDBPyConnection, history: LegacyHistory
) -> None:
    customers = first_release.execute(
        "select customer_id, city, signup_channel, registered_at, total_orders, lifetime_value, "
        "segment, is_current from marts.dim_customers where is_inferred order by customer_id"
    ).fetchall()
    assert [row[0] for row in customers] == sorted(history.customer_cities)
    per_customer: dict[str, Decimal] = {}
    for number, order_id in enumerate(history.order_totals):
        customer_id = sorted(history.customer_cities)[number % CUSTOMERS]
        per_customer[customer_id] = (
            per_customer.get(customer_id, Decimal(0)) + (history.order_totals[order_id])
        )
    for customer_id, city, channel, registered_at, orders, value, segment, current in customers:
        assert (city, channel, registered_at, current) == ("Unknown", None, None, True)
        # the purchase metrics come from the facts, which are real
        assert (orders, value) == (ORDERS // CUSTOMERS, per_customer[customer_id])
        assert segment == ("vip" if value >= 1000 else "repeat")

    products = first_release.execute(
        "select product_id, product_name, department, price, unit_cost from marts.dim_products "
        "where is_inferred order by product_id"
    ).fetchall()
    assert [row[0] for row in products] == sorted(history.product_prices)
    assert {row[1:] for row in products} == {("Unknown", "Unknown", None, None)}
    warehouses = first_release.execute(
        "select warehouse_id from marts.dim_warehouses where is_inferred"
    ).fetchall()
    assert warehouses == [(history.warehouse_id,)]
    completeness = dict(
        first_release.execute(
            "select dimension_name, inferred_members from marts.dimension_completeness"
        ).fetchall()
    )
    assert completeness == {
        "dim_customers": CUSTOMERS,
        "dim_products": PRODUCTS,
        "dim_warehouses": 1,
        "dim_carriers": 0,
        "dim_suppliers": 0,
        "dim_campaigns": 0,
    }


def test_the_arriving_master_data_fills_the_members_in(
    backfilled: Backfilled, rebuilt: duckdb.DuckDBPyConnection, history: LegacyHistory
) -> None:
    warned = {
        dimension
        for dimension, (status, _) in inferred_member_tests(backfilled.second_tests).items()
        if status != "pass"
    }
    assert warned == {"dim_warehouses"}  # no warehouse events arrived
    assert backfilled.second_tests["not_null_fct_order_lines_product_version_id"] == ("pass", 0)
    assert rebuilt.execute(
        "select sum(inferred_members) from marts.dimension_completeness where dimension_name "
        "in ('dim_customers', 'dim_products')"
    ).fetchone() == (0,)
    customers = rebuilt.execute(
        "select customer_id, count(*), bool_and(is_current), any_value(city), "
        "any_value(signup_channel), any_value(birth_year), any_value(registered_at) "
        "from marts.dim_customers where customer_id in (select unnest(?)) group by all "
        "order by customer_id",
        [sorted(history.customer_cities)],
    ).fetchall()
    assert len(customers) == CUSTOMERS
    for number, (
        customer_id,
        versions,
        current,
        city,
        channel,
        birth_year,
        registered,
    ) in enumerate(customers):
        # one real version: the placeholder was never true, so it left the history
        assert (versions, current, channel, birth_year) == (1, True, "organic", 1950 + number)
        assert city == history.customer_cities[customer_id]
        assert registered == datetime(2021, 1, 1) + timedelta(days=number)
    products = rebuilt.execute(
        "select product_id, count(*), any_value(price), any_value(unit_cost), "
        "any_value(department), any_value(valid_from), bool_and(is_current) "
        "from marts.dim_products where product_id in (select unnest(?)) group by all",
        [sorted(history.product_prices)],
    ).fetchall()
    assert len(products) == PRODUCTS
    for product_id, versions, price, cost, department, valid_from, current in products:
        assert (versions, department, valid_from, current) == (
            1,
            "Home",
            CREATED_AT.replace(tzinfo=None),
            True,
        )
        assert (price, cost) == (
            history.product_prices[product_id],
            (history.product_prices[product_id] / 2).quantize(Decimal("0.01")),
        )
    # The snapshots keep the closed placeholder versions as an audit trail; the marts drop them.
    snapshot = dict(
        rebuilt.execute(
            "select 'customers', count(*) from snapshots.snp_customers union all "
            "select 'products', count(*) from snapshots.snp_products"
        ).fetchall()
    )
    assert snapshot == {
        "customers": backfilled.snapshot_before_fill["customers"] + CUSTOMERS,
        "products": backfilled.snapshot_before_fill["products"] + PRODUCTS,
    }
    # The warehouse sent no master data: it stays inferred, and its orders still join.
    assert rebuilt.execute(
        "select is_inferred from marts.dim_warehouses where warehouse_id = ?",
        [history.warehouse_id],
    ).fetchall() == [(True,)]


def test_the_lines_are_costed_once_their_products_are_known(
    rebuilt: duckdb.DuckDBPyConnection, history: LegacyHistory
) -> None:
    legacy_keys(rebuilt, history)
    assert rebuilt.execute(
        "select count(*), count(unit_cost), sum(line_total) "
        "from marts.fct_order_lines join legacy_orders using (order_id)"
    ).fetchone() == (
        len(history.line_totals),
        len(history.line_totals),
        sum(history.line_totals.values()),
    )


# What the type-2 dimensions record about build times (version keys and validity of versions
# opened by a build's snapshot) differs between two build histories of the same events.
BUILD_TIME_COLUMNS = {"dim_customers": "customer_version_id, valid_from, valid_to"}
TYPE_2 = {"dim_customers", "dim_products"}


def test_the_incremental_rebuild_equals_a_full_refresh(
    backfilled: Backfilled, tmp_path: Path
) -> None:
    full = lake_settings(backfilled.root, build_name="full.duckdb")
    build(full, full_refresh=True, target_path=tmp_path / "target", capture=True)
    with duckdb.connect() as conn:
        conn.execute(f"attach '{backfilled.settings.duckdb_build_path}' as incremental (read_only)")
        conn.execute(f"attach '{full.duckdb_build_path}' as full_refresh (read_only)")
        for table in (
            "fct_orders",
            "fct_order_lines",
            "dim_customers",
            "dim_products",
            "dim_warehouses",
            "dimension_completeness",
        ):
            excluded = BUILD_TIME_COLUMNS.get(table)
            columns = f"* exclude ({excluded})" if excluded else "*"
            current = " where is_current" if table in TYPE_2 else ""
            left = f"select {columns} from incremental.marts.{table}{current}"
            right = f"select {columns} from full_refresh.marts.{table}{current}"
            differences = conn.execute(
                f"select count(*) from (({left} except all {right}) "
                f"union all ({right} except all {left}))"
            ).fetchone()
            assert differences == (0,), table
