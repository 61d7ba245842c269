"""A shop's own export, backfilled with the shipped mappings, reaches the marts to the cent.

Every figure below is computed by hand from tests/ingest/data/orders_export.csv and products.csv:
discount = round_half_up(unit price x quantity x rate), line total = price x quantity - discount,
cost from the catalogue file (loaded first, so its ProductCreated events are the ones kept).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from acme.warehouse.dbt import build
from ingest.backfill import backfill_files, load_mapping
from tests.dbt.dbt_lake import lake_settings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "ingest" / "data"
MAPPINGS = ROOT / "ingest" / "mappings"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    root = tmp_path_factory.mktemp("backfilled-export")
    settings = lake_settings(root)
    backfill_files(settings, [DATA / "products.csv"], load_mapping(MAPPINGS / "products.yml"))
    backfill_files(
        settings, [DATA / "orders_export.csv"], load_mapping(MAPPINGS / "orders_export.yml")
    )
    # Without data tests: the export's orders name a warehouse that no stock event reveals, so
    # the lines' relationship test to dim_warehouses (built from stock movements) fails, as it
    # does for any backfill of orders without inventory history.
    build(settings, with_tests=False, target_path=root / "dbt-target", capture=True)
    with duckdb.connect(str(settings.duckdb_build_path), read_only=True) as conn:
        yield conn


def rows(conn: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in conn.execute(sql).fetchall()]


def test_order_totals_and_lines_reach_the_marts_to_the_cent(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    assert rows(warehouse, "select order_total from marts.fct_orders order by 1") == [
        (Decimal("12.56"),),
        (Decimal("265.46"),),
        (Decimal("395.12"),),
        (Decimal("405.11"),),
    ]
    assert rows(
        warehouse,
        "select line_number, quantity, unit_price, discount, line_total from marts.fct_order_lines"
        " order by line_total",
    ) == [
        (1, 3, Decimal("4.35"), Decimal("1.31"), Decimal("11.74")),  # 1.305 half-up
        (2, 1, Decimal("24.50"), Decimal("1.23"), Decimal("23.27")),  # 1.225 half-up
        (2, 10, Decimal("4.35"), Decimal("6.53"), Decimal("36.97")),  # 6.525 half-up
        (1, 1, Decimal("199.99"), Decimal("0.00"), Decimal("199.99")),  # empty rate: 0
        (1, 2, Decimal("189.99"), Decimal("38.00"), Decimal("341.98")),
        (1, 1, Decimal("449.00"), Decimal("89.80"), Decimal("359.20")),
    ]


def test_revenue_and_margin_by_category_use_the_catalogues_hierarchy_and_cost(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    assert rows(
        warehouse,
        "select department, category, sum(line_total), sum(cost_amount), sum(margin_amount)"
        " from marts.fct_order_lines group by all order by category",
    ) == [
        ("Home & Office", "Furniture", Decimal("901.17"), Decimal("487.20"), Decimal("413.97")),
        ("Home & Office", "Office Supplies", Decimal("71.98"), Decimal("24.70"), Decimal("47.28")),
    ]


def test_customers_are_registered_once_with_their_first_orders_address(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    assert rows(
        warehouse,
        "select city, region, country, registered_at::date::varchar from marts.dim_customers"
        " where is_current order by registered_at, city",
    ) == [
        ("Boston", "MA", "US", "2024-03-14"),
        ("Arlington", "VA", "US", "2024-03-15"),
        ("Austin", "TX", "US", "2024-03-16"),
    ]
