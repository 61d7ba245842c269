"""The marts against the simulator's truth manifest: every figure must match exactly, to the cent.

Definitions follow docs/decisions/truth-manifest.md: revenue is the sum of line totals of orders
that were not cancelled, by the UTC day the order was placed, the product's department and
category when it was ordered, and the channel of the session it was placed in ("unknown" when
the session is not known).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from simulator.calendar import holidays as retail_holidays
from tests.dbt.dbt_lake import SimulatedLake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(built_lake: SimulatedLake) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(built_lake.settings.duckdb_build_path), read_only=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def truth(built_lake: SimulatedLake) -> dict[str, Any]:
    return built_lake.truth


def money_by(conn: duckdb.DuckDBPyConnection, sql: str) -> dict[str, str]:
    """`select key, amount ...` as {key: "123.45"}, the manifest's format."""
    return {str(key): f"{Decimal(amount):.2f}" for key, amount in conn.execute(sql).fetchall()}


def counts_by(conn: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    return {str(key): int(count) for key, count in conn.execute(sql).fetchall()}


def scalar(conn: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = conn.execute(sql).fetchone()
    assert row is not None
    return row[0]


SOLD_LINES = """
    from marts.fct_order_lines as lines
    inner join marts.fct_orders as orders on lines.order_id = orders.order_id
    where not orders.is_cancelled
"""


def test_the_run_is_big_enough_to_mean_something(truth: dict[str, Any]) -> None:
    assert truth["orders_placed"] >= 100
    assert truth["orders_cancelled"] >= 1
    assert truth["events"]["duplicate_deliveries"] >= 100
    assert truth["refunds"]["count"] >= 1


def test_revenue_total_and_units(
    warehouse: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    revenue = scalar(warehouse, f"select sum(lines.line_total) {SOLD_LINES}")
    assert f"{revenue:.2f}" == truth["revenue"]
    assert scalar(warehouse, f"select sum(lines.quantity) {SOLD_LINES}") == truth["units_sold"]


def test_revenue_columns_of_every_mart_agree_with_the_truth(
    warehouse: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    """The marts' revenue columns are named after the metrics layer's definitions
    (models/marts/_marts__metrics.yml), so they must all give the same revenue."""
    assert (
        f"{scalar(warehouse, 'select sum(revenue_amount) from marts.fct_orders'):.2f}"
        == (truth["revenue"])
    )
    lines = scalar(
        warehouse, "select sum(gross_amount) from marts.sales_order_lines where not is_cancelled"
    )
    assert f"{lines:.2f}" == truth["revenue"]
    # Gross merchandise value counts cancelled orders too, on both marts alike.
    gross = scalar(warehouse, "select sum(gross_amount) from marts.fct_orders")
    assert gross == scalar(warehouse, "select sum(gross_amount) from marts.sales_order_lines")
    assert gross > Decimal(truth["revenue"])
    # Net revenue is revenue minus the refunds of orders not cancelled; a cancelled order has none.
    refunds_kept = scalar(
        warehouse,
        "select coalesce(sum(refunded_amount), 0) from marts.fct_orders where not is_cancelled",
    )
    net = scalar(warehouse, "select sum(net_revenue_amount) from marts.fct_orders")
    assert net == Decimal(truth["revenue"]) - refunds_kept
    assert (
        scalar(
            warehouse,
            "select count(*) from marts.fct_orders where is_cancelled "
            "and (revenue_amount <> 0 or net_revenue_amount <> 0)",
        )
        == 0
    )


@pytest.mark.parametrize(
    ("manifest_key", "dimension"),
    [
        ("revenue_by_day", "strftime(lines.ordered_date, '%Y-%m-%d')"),
        ("revenue_by_department", "lines.department"),
        ("revenue_by_category", "lines.category"),
        ("revenue_by_channel", "coalesce(lines.channel, 'unknown')"),
    ],
)
def test_revenue_by_dimension(
    warehouse: duckdb.DuckDBPyConnection, truth: dict[str, Any], manifest_key: str, dimension: str
) -> None:
    actual = money_by(
        warehouse, f"select {dimension}, sum(lines.line_total) {SOLD_LINES} group by all"
    )
    assert actual == truth[manifest_key]


def test_revenue_by_day_through_the_date_dimension(
    warehouse: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    actual = money_by(
        warehouse,
        f"""select strftime(dates.date_day, '%Y-%m-%d'), sum(lines.line_total) {SOLD_LINES}
            and true
            group by all""".replace(
            "where not orders.is_cancelled",
            "inner join marts.dim_dates as dates on lines.ordered_date = dates.date_day "
            "where not orders.is_cancelled",
        ),
    )
    assert actual == truth["revenue_by_day"]


def test_revenue_by_day_mart_and_its_previous_day(
    warehouse: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    """The period-comparison mart's days equal the truth's revenue by day (days without revenue
    are zero rows there, absent from the truth), and each day's DoD base is the day before."""
    days = money_by(
        warehouse,
        "select strftime(revenue_date, '%Y-%m-%d'), revenue_amount from marts.revenue_by_day "
        "where revenue_amount <> 0",
    )
    assert days == truth["revenue_by_day"]
    previous = money_by(
        warehouse,
        "select strftime(revenue_date, '%Y-%m-%d'), previous_day_revenue_amount "
        "from marts.revenue_by_day where previous_day_revenue_amount is not null",
    )
    expected = {
        day: truth["revenue_by_day"][str(date.fromisoformat(day) - timedelta(days=1))]
        for day in truth["revenue_by_day"]
        if str(date.fromisoformat(day) - timedelta(days=1)) in truth["revenue_by_day"]
    }
    assert expected
    assert previous == expected


def test_orders(warehouse: duckdb.DuckDBPyConnection, truth: dict[str, Any]) -> None:
    assert scalar(warehouse, "select count(*) from marts.fct_orders") == truth["orders_placed"]
    assert (
        counts_by(
            warehouse,
            "select strftime(ordered_date, '%Y-%m-%d'), count(*) from marts.fct_orders group by all",
        )
        == truth["orders_placed_by_day"]
    )
    assert (
        counts_by(
            warehouse,
            "select cancellation_reason, count(*) from marts.fct_orders where is_cancelled "
            "group by all",
        )
        == truth["orders_cancelled_by_reason"]
    )
    assert (
        scalar(warehouse, "select count(*) from marts.fct_orders where not is_cancelled")
        == truth["orders_net"]
    )


def test_customers_and_conversions(
    warehouse: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    assert (
        scalar(
            warehouse,
            "select count(distinct customer_id) from marts.fct_orders where not is_cancelled",
        )
        == truth["distinct_customers"]
    )
    assert (
        counts_by(
            warehouse,
            "select coalesce(channel, 'unknown'), count(*) from marts.fct_orders "
            "where not is_cancelled group by all",
        )
        == truth["conversions_by_channel"]
    )
    window_start = truth["window"]["start"][:10]
    assert (
        scalar(
            warehouse,
            f"select count(distinct customer_id) from marts.dim_customers "
            f"where registered_at >= date '{window_start}'",
        )
        == truth["customers_registered_in_window"]
    )


def test_sessions_and_carts(warehouse: duckdb.DuckDBPyConnection, truth: dict[str, Any]) -> None:
    assert (
        counts_by(warehouse, "select channel, count(*) from marts.fct_sessions group by all")
        == truth["sessions_by_channel"]
    )
    assert scalar(warehouse, "select count(*) from marts.fct_carts") == truth["carts_created"]
    events = counts_by(
        warehouse, "select cart_event_type, count(*) from marts.fct_cart_events group by all"
    )
    assert events.get("cart_abandoned", 0) == truth["carts_abandoned"]
    assert events.get("cart_converted", 0) == truth["carts_converted"]


def test_refunds_and_returns(warehouse: duckdb.DuckDBPyConnection, truth: dict[str, Any]) -> None:
    refunds = truth["refunds"]
    assert scalar(warehouse, "select count(*) from marts.fct_refunds") == refunds["count"]
    assert (
        f"{scalar(warehouse, 'select sum(amount) from marts.fct_refunds'):.2f}" == refunds["amount"]
    )
    by_reason = {
        reason: {"count": count, "amount": f"{amount:.2f}"}
        for reason, count, amount in warehouse.execute(
            "select reason, count(*), sum(amount) from marts.fct_refunds group by all"
        ).fetchall()
    }
    assert by_reason == refunds["by_reason"]
    returns = warehouse.execute(
        "select count(*), coalesce(sum(quantity), 0) from staging.stg_shipping__returns_initiated"
    ).fetchone()
    assert returns == (truth["returns"]["count"], truth["returns"]["units"])


def test_payments_shipments_stock_and_spend(
    warehouse: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    assert (
        scalar(warehouse, "select count(*) from marts.fct_payments where is_successful")
        == truth["payments_completed"]
    )
    assert (
        counts_by(
            warehouse,
            "select failure_reason, count(*) from marts.fct_payments "
            "where payment_status = 'failed' group by all",
        )
        == truth["payment_failures_by_reason"]
    )
    delivered = warehouse.execute(
        "select count(*) filter (where is_delivered), count(*) filter (where is_delivered_late) "
        "from marts.fct_shipments"
    ).fetchone()
    assert delivered == (truth["shipments_delivered"], truth["shipments_delivered_late"])
    assert (
        scalar(warehouse, "select count(*) from marts.fct_daily_stock where had_stockout")
        == truth["stockout_days"]
    )
    assert (
        money_by(
            warehouse, "select channel, sum(spend) from marts.fct_marketing_spend group by all"
        )
        == truth["marketing_spend_by_channel"]
    )


def test_staging_holds_each_event_exactly_once(
    warehouse: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    """Producer retries are in the raw table; staging must count each valid event once."""
    tables = warehouse.execute(
        "select table_name from duckdb_tables() where schema_name = 'staging'"
    ).fetchall()
    staged = sum(scalar(warehouse, f'select count(*) from staging."{name}"') for (name,) in tables)
    assert staged == truth["events"]["valid_distinct"]


def test_date_dimension_knows_the_simulators_retail_calendar(
    warehouse: duckdb.DuckDBPyConnection,
) -> None:
    """The simulator's US retail holidays (the days its traffic follows) are named in dim_dates."""
    for year in range(2024, 2031):
        expected = {
            day: name
            for day, (name, _) in retail_holidays(year).items()
            if name
            != "Valentine's rush"  # a traffic bump two days before 14 February, not a day off
        }
        actual = dict(
            warehouse.execute(
                "select date_day, holiday_name from marts.dim_dates "
                "where calendar_year = ? and holiday_name in (select unnest(?))",
                [year, sorted(set(expected.values()))],
            ).fetchall()
        )
        assert actual == expected
