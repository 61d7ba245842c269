"""A backfill of orders whose customers, products and warehouse the lake has never seen publishes
with every total right and placeholder (inferred) dimension members; when the customers' and
products' events arrive, a rebuild fills the members in, as a full refresh would
(docs/decisions/inferred-members.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import orjson
import pytest

from acme.settings import Settings
from acme.warehouse.dbt import build
from acme.warehouse.publish import publish
from tests.dbt.dbt_lake import SimulatedLake, backfill, lake_settings
from tests.dbt.legacy_orders import (
    CREATED_AT,
    CUSTOMERS,
    ORDERS,
    PRODUCTS,
    LegacyHistory,
    legacy_history,
    write_lines,
)

pytestmark = pytest.mark.slow


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
        # Lifetime value is net revenue: the lines, without shipping and tax (no refunds here).
        subtotal = sum(
            (total for line, total in history.line_totals.items()
             if line.rsplit("-", 1)[0] == order_id),
            Decimal(0),
        )  # fmt: skip
        per_customer[customer_id] = per_customer.get(customer_id, Decimal(0)) + subtotal
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
