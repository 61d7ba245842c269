"""Forecast and anomaly assets: computed from fct_orders, written to the lake as Delta tables
(`analytics/revenue_forecasts`, `analytics/daily_anomalies`) that Superset and reports read."""

from pathlib import Path

import dagster as dg
import pandas as pd
from dagster import AssetExecutionContext
from deltalake import write_deltalake

from acme.lake_layout import lake_path
from orchestration.alerts.channels import Alert, Severity
from orchestration.alerts.resources import AlertsResource
from orchestration.analytics.anomalies import score_days
from orchestration.analytics.forecasting import HORIZON_DAYS, forecast_revenue
from orchestration.analytics.series import daily_revenue
from orchestration.environment import OrchestrationEnvironment
from orchestration.resources import LakehouseResource
from orchestration.warehouse.checks import FCT_ORDERS

GROUP = "analytics"
FORECASTS_KEY = dg.AssetKey(["analytics", "revenue_forecasts"])
ANOMALIES_KEY = dg.AssetKey(["analytics", "daily_anomalies"])


def analytics_path(lake: Path, name: str) -> Path:
    """Where an analytics table lives in the lake."""
    return lake_path(lake, "analytics") / name


def write_table(path: Path, frame: pd.DataFrame) -> None:
    """Replace the Delta table at `path` with `frame` (readers keep the previous version until the
    commit lands; time travel keeps history)."""
    path.mkdir(parents=True, exist_ok=True)
    write_deltalake(str(path), frame, mode="overwrite", schema_mode="overwrite")


def build_analytics_assets(environment: OrchestrationEnvironment) -> list[dg.AssetsDefinition]:
    """The revenue forecast and the anomaly scores."""

    @dg.asset(
        key=FORECASTS_KEY,
        deps=[FCT_ORDERS],
        group_name=GROUP,
        kinds={"statsmodels", "deltalake"},
        retry_policy=environment.retry_policy(),
        description=f"Daily revenue per currency forecast {HORIZON_DAYS} days ahead (ETS, 80% "
        "prediction interval), from fct_orders.",
    )
    def revenue_forecasts(lakehouse: LakehouseResource) -> dg.MaterializeResult[None]:
        forecasts = forecast_revenue(daily_revenue(lakehouse.settings()))
        path = analytics_path(lakehouse.lake, "revenue_forecasts")
        write_table(path, forecasts)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(path)),
                "currencies": sorted(forecasts["currency"].unique().tolist()),
                "rows": len(forecasts),
                "first_day": str(forecasts["day"].min().date()),
            }
        )

    @dg.asset(
        key=ANOMALIES_KEY,
        deps=[FCT_ORDERS],
        group_name=GROUP,
        kinds={"scikitlearn", "deltalake"},
        retry_policy=environment.retry_policy(),
        description="Daily orders and revenue per currency scored for anomalies (robust z-score "
        "per weekday and Isolation Forest); alerts when the latest day is anomalous.",
    )
    def daily_anomalies(
        context: AssetExecutionContext, lakehouse: LakehouseResource, alerts: AlertsResource
    ) -> dg.MaterializeResult[None]:
        scored = score_days(daily_revenue(lakehouse.settings()))
        path = analytics_path(lakehouse.lake, "daily_anomalies")
        write_table(path, scored)
        latest = scored[scored["day"] == scored["day"].max()]
        flagged = latest[latest["is_anomaly"]]
        for row in flagged.itertuples():
            context.log.warning("anomalous day %s %s", row.day.date(), row.currency)
            alerts.send(
                Alert(
                    title=f"Anomalous sales on {row.day.date()} ({row.currency})",
                    body=f"{row.orders} orders and {row.revenue:.2f} {row.currency} revenue are "
                    "far from the usual for this weekday.",
                    severity=Severity.WARNING,
                    details={
                        "orders_robust_z": round(float(row.orders_robust_z), 2),
                        "revenue_robust_z": round(float(row.revenue_robust_z), 2),
                        "methods": row.methods,
                    },
                )
            )
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(path)),
                "days_scored": len(scored),
                "anomalous_days": int(scored["is_anomaly"].sum()),
                "latest_day_anomalous": bool(len(flagged)),
            }
        )

    return [revenue_forecasts, daily_anomalies]
