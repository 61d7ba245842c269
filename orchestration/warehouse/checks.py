"""GX suites on the key marts, and the reconciliation of live per-minute metrics with them.

`fct_orders` is what revenue, forecasts and anomaly scores are computed from, so its suite blocks
the serving copy and the analytics downstream. The live-vs-batch reconciliation warns (two
pipelines disagreeing needs a human; it does not tell which one is wrong).
"""

import math
from typing import TYPE_CHECKING

import dagster as dg
import pandas as pd
from dagster import AssetCheckExecutionContext
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from ingest.tables import LIVE_MINUTE_METRICS
from orchestration.quality.gx import validate_dataframe
from orchestration.resources import LakehouseResource
from orchestration.warehouse.reading import query_build

if TYPE_CHECKING:
    from great_expectations.expectations.expectation import Expectation

FCT_ORDERS = dg.AssetKey(["marts", "fct_orders"])
HISTORY_DAYS = 7
VOLUME_FACTOR = 10.0
ORDER_STATUSES = ["placed", "confirmed", "paid", "shipped", "delivered", "returned", "cancelled"]
# Live counts de-duplicate within a bounded window; beyond it a rare late duplicate may count
# twice. Revenue at placement can differ from the mart after OrderModified events.
COUNT_TOLERANCE = 0.001
REVENUE_TOLERANCE = 0.02


def latest_orders(lakehouse: LakehouseResource) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Orders of the latest order date, and of the `HISTORY_DAYS` before it."""
    frame = query_build(
        lakehouse.settings(),
        "select * from marts.fct_orders where ordered_date >= "
        "(select max(ordered_date) from marts.fct_orders) - ?::integer",
        [HISTORY_DAYS],
    )
    latest = frame["ordered_date"].max()
    is_latest = frame["ordered_date"] == latest
    return frame[is_latest].reset_index(drop=True), frame[~is_latest].reset_index(drop=True)


def fct_orders_expectations(current: pd.DataFrame, history: pd.DataFrame) -> list["Expectation"]:
    """Nulls, keys, money ranges, accepted statuses; volume and basket drift vs history."""
    import great_expectations as gx

    expectations: list[Expectation] = [
        gx.expectations.ExpectColumnValuesToNotBeNull(column=column)
        for column in ("order_id", "customer_id", "currency", "order_total", "ordered_at")
    ]
    expectations += [
        gx.expectations.ExpectColumnValuesToBeUnique(column="order_id"),
        gx.expectations.ExpectColumnValuesToBeBetween(column="order_total", min_value=0),
        gx.expectations.ExpectColumnValuesToBeBetween(column="refunded_amount", min_value=0),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="order_total", column_B="refunded_amount", or_equal=True
        ),
        gx.expectations.ExpectColumnValueLengthsToEqual(column="currency", value=3),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="order_status", value_set=ORDER_STATUSES
        ),
    ]
    if history.empty:
        expectations.append(gx.expectations.ExpectTableRowCountToBeBetween(min_value=1))
        return expectations
    typical = float(history.groupby("ordered_date").size().median())
    expectations.append(
        gx.expectations.ExpectTableRowCountToBeBetween(
            min_value=max(1, math.floor(typical / VOLUME_FACTOR)),
            max_value=math.ceil(typical * VOLUME_FACTOR),
        )
    )
    daily_means = history.groupby("ordered_date")["order_total"].mean().astype(float)
    spread = max(float(daily_means.max() - daily_means.min()), 0.25 * float(daily_means.mean()))
    expectations.append(
        gx.expectations.ExpectColumnMeanToBeBetween(
            column="order_total",
            min_value=float(daily_means.min()) - spread,
            max_value=float(daily_means.max()) + spread,
        )
    )
    return expectations


@dg.asset_check(
    asset=FCT_ORDERS,
    name="fct_orders_gx_suite",
    description="GX suite on the latest order date of fct_orders (nulls, unique keys, money "
    "ranges, statuses, volume and average basket vs the previous week). Blocking.",
    blocking=True,
    automation_condition=dg.AutomationCondition.eager(),
)
def fct_orders_gx_suite(
    context: AssetCheckExecutionContext, lakehouse: LakehouseResource
) -> dg.AssetCheckResult:
    current, history = latest_orders(lakehouse)
    for frame in (current, history):
        for money in ("order_total", "refunded_amount", "subtotal", "tax"):
            frame[money] = frame[money].astype(float)
    outcome = validate_dataframe(
        lakehouse.gx_root, "fct_orders", fct_orders_expectations(current, history), current
    )
    return outcome.to_check_result()


def reconciliation_frame(lakehouse: LakehouseResource) -> pd.DataFrame:
    """Per day and currency: orders and revenue counted live vs in fct_orders, for the days both
    cover, with relative differences."""
    try:
        live_table = DeltaTable(str(LIVE_MINUTE_METRICS.path(lakehouse.lake)))
    except TableNotFoundError:
        return pd.DataFrame()
    live = pd.DataFrame(
        live_table.to_pyarrow_dataset()
        .to_table(columns=["minute", "currency", "orders_placed", "revenue_amount"])
        .to_pandas()
    )
    if live.empty:
        return pd.DataFrame()
    live["day"] = pd.to_datetime(live["minute"], utc=True).dt.date
    live = (
        live[live["orders_placed"] > 0]
        .groupby(["day", "currency"], as_index=False)
        .agg(live_orders=("orders_placed", "sum"), live_revenue=("revenue_amount", "sum"))
    )
    batch = query_build(
        lakehouse.settings(),
        "select ordered_date as day, currency, count(*) as batch_orders, "
        "sum(order_total) as batch_revenue from marts.fct_orders group by all",
    )
    batch["day"] = pd.to_datetime(batch["day"]).dt.date
    both = live.merge(batch, on=["day", "currency"], how="inner")
    both["orders_difference"] = (both["live_orders"] - both["batch_orders"]).abs() / both[
        "batch_orders"
    ]
    both["revenue_difference"] = (
        both["live_revenue"].astype(float) - both["batch_revenue"].astype(float)
    ).abs() / both["batch_revenue"].astype(float).clip(lower=0.01)
    return both


@dg.asset_check(
    asset=FCT_ORDERS,
    name="live_metrics_reconcile_with_fct_orders",
    description="Orders and revenue per day and currency counted by the live per-minute metrics "
    f"agree with fct_orders (within {COUNT_TOLERANCE:.1%} of orders and {REVENUE_TOLERANCE:.0%} "
    "of revenue). Warns.",
    automation_condition=dg.AutomationCondition.eager(),
)
def live_metrics_reconcile_with_fct_orders(
    lakehouse: LakehouseResource,
) -> dg.AssetCheckResult:
    import great_expectations as gx

    frame = reconciliation_frame(lakehouse)
    if frame.empty:
        return dg.AssetCheckResult(
            passed=True,
            severity=dg.AssetCheckSeverity.WARN,
            description="no day is covered by both the live metrics and fct_orders yet",
            metadata={"days_reconciled": 0},
        )
    outcome = validate_dataframe(
        lakehouse.gx_root,
        "live_vs_batch_orders",
        [
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="orders_difference", max_value=COUNT_TOLERANCE
            ),
            gx.expectations.ExpectColumnValuesToBeBetween(
                column="revenue_difference", max_value=REVENUE_TOLERANCE
            ),
        ],
        frame,
    )
    result = outcome.to_check_result(severity=dg.AssetCheckSeverity.WARN)
    return dg.AssetCheckResult(
        passed=result.passed,
        severity=result.severity,
        description=result.description,
        metadata={**result.metadata, "days_reconciled": int(frame["day"].nunique())},
    )
