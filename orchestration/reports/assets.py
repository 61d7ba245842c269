"""Report files: a daily sales report and a weekly summary, each as HTML and CSV.

Files go to `{lake_root}/reports/<report>/<date>.{html,csv}` plus `latest.{html,csv}`, so people
bookmark one URL and tools (Superset, mail merges) read the CSV (docs/decisions/reports.md).
"""

import html
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pandas as pd
from deltalake import DeltaTable

from acme.lake_layout import lake_path
from orchestration.analytics.assets import ANOMALIES_KEY, FORECASTS_KEY, analytics_path
from orchestration.analytics.series import daily_revenue
from orchestration.resources import LakehouseResource
from orchestration.warehouse.checks import FCT_ORDERS

GROUP = "reports"
DAILY_REPORT_KEY = dg.AssetKey(["reports", "daily_sales_report"])
WEEKLY_REPORT_KEY = dg.AssetKey(["reports", "weekly_sales_summary"])


def render_html(title: str, sections: dict[str, pd.DataFrame]) -> str:
    """A self-contained HTML page with one table per section."""
    body = "".join(
        f"<h2>{html.escape(name)}</h2>"
        + frame.to_html(index=False, float_format=lambda value: f"{value:,.2f}", border=0)
        for name, frame in sections.items()
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{padding:4px 10px;text-align:right;border-bottom:1px solid #ddd}</style></head>"
        f"<body><h1>{html.escape(title)}</h1><p>Generated {generated}</p>{body}</body></html>"
    )


def write_report(folder: Path, stem: str, page: str, table: pd.DataFrame) -> list[Path]:
    """Write `<stem>.html`/`.csv` and refresh `latest.*`; return the dated files."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in (stem, "latest"):
        (folder / f"{name}.html").write_text(page, encoding="utf-8")
        table.to_csv(folder / f"{name}.csv", index=False)
        if name == stem:
            written += [folder / f"{name}.html", folder / f"{name}.csv"]
    return written


def weekly_summary(daily: pd.DataFrame, week_end: pd.Timestamp) -> pd.DataFrame:
    """Orders and revenue per currency in the 7 days up to `week_end` vs the 7 days before."""
    this_week = daily[(daily["day"] > week_end - pd.Timedelta(days=7)) & (daily["day"] <= week_end)]
    last_week = daily[
        (daily["day"] > week_end - pd.Timedelta(days=14))
        & (daily["day"] <= week_end - pd.Timedelta(days=7))
    ]
    # Cents are exact in the mart; float sums are rounded back to them.
    current = this_week.groupby("currency")[["orders", "revenue"]].sum().round(2)
    previous = last_week.groupby("currency")[["orders", "revenue"]].sum().round(2)
    summary = current.join(previous, rsuffix="_previous_week", how="left").fillna(0)
    summary["revenue_change"] = (summary["revenue"] - summary["revenue_previous_week"]) / summary[
        "revenue_previous_week"
    ].where(summary["revenue_previous_week"] != 0)
    summary["revenue_change"] = summary["revenue_change"].round(4)
    return summary.reset_index()


@dg.asset(
    key=DAILY_REPORT_KEY,
    deps=[FCT_ORDERS, FORECASTS_KEY, ANOMALIES_KEY],
    group_name=GROUP,
    kinds={"html", "csv"},
    description="Daily sales report: the last 14 days of orders and revenue with their anomaly "
    "verdicts, and the revenue forecast.",
)
def daily_sales_report(lakehouse: LakehouseResource) -> dg.MaterializeResult[None]:
    scored = DeltaTable(str(analytics_path(lakehouse.lake, "daily_anomalies"))).to_pandas()
    forecasts = DeltaTable(str(analytics_path(lakehouse.lake, "revenue_forecasts"))).to_pandas()
    recent = scored[scored["day"] > scored["day"].max() - pd.Timedelta(days=14)]
    recent = recent[["day", "currency", "orders", "revenue", "is_anomaly", "methods"]]
    recent = recent.sort_values(["currency", "day"])
    latest = scored["day"].max().date()
    page = render_html(
        f"ACME daily sales report — {latest}",
        {
            "Last 14 days": recent.assign(day=recent["day"].dt.date),
            "Revenue forecast": forecasts[["day", "currency", "forecast", "lower", "upper"]],
        },
    )
    files = write_report(
        lake_path(lakehouse.lake, "reports") / "daily_sales", str(latest), page, recent
    )
    return dg.MaterializeResult(
        metadata={"files": [str(path) for path in files], "report_date": str(latest)}
    )


@dg.asset(
    key=WEEKLY_REPORT_KEY,
    deps=[FCT_ORDERS],
    group_name=GROUP,
    kinds={"html", "csv"},
    description="Weekly sales summary: orders and revenue per currency vs the previous week.",
)
def weekly_sales_summary(lakehouse: LakehouseResource) -> dg.MaterializeResult[None]:
    daily = daily_revenue(lakehouse.settings())
    week_end = daily["day"].max()
    summary = weekly_summary(daily, week_end)
    page = render_html(f"ACME weekly sales summary — week to {week_end.date()}", {"": summary})
    files = write_report(
        lake_path(lakehouse.lake, "reports") / "weekly_sales", str(week_end.date()), page, summary
    )
    return dg.MaterializeResult(
        metadata={"files": [str(path) for path in files], "week_end": str(week_end.date())}
    )
