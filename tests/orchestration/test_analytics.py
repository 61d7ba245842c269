"""Forecast and anomaly scoring on series whose truth is known: a weekly-seasonal shop with noise,
with and without an injected incident."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from acme.settings import Settings
from orchestration.analytics.anomalies import score_days
from orchestration.analytics.forecasting import (
    NotEnoughHistoryError,
    forecast_revenue,
    forecast_series,
)
from orchestration.analytics.series import daily_revenue

DAYS = 84


def shop(seed: int, incident_day: int | None = None) -> pd.DataFrame:
    """Twelve weeks of orders (weekends +20%) and revenue (~50 per order) with noise; on
    `incident_day` a checkout outage loses 60% of both."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2026-01-05", periods=DAYS)
    orders = (100 + 20 * (days.day_of_week >= 5) + rng.normal(0, 5, DAYS)).round()
    revenue = orders * 50 + rng.normal(0, 100, DAYS)
    frame = pd.DataFrame({"day": days, "currency": "EUR", "orders": orders, "revenue": revenue})
    if incident_day is not None:
        frame.loc[incident_day, ["orders", "revenue"]] *= 0.4
    return frame


@pytest.mark.parametrize("seed", range(5))
def test_an_outage_day_is_flagged_by_both_methods(seed: int) -> None:
    scored = score_days(shop(seed, incident_day=70))

    flagged = scored[scored["is_anomaly"]]
    assert 70 in flagged.index
    assert scored.loc[70, "methods"] == "robust_z,isolation_forest"
    assert scored.loc[70, "orders_robust_z"] < -5


@pytest.mark.parametrize("seed", range(5))
def test_ordinary_weeks_raise_no_anomaly(seed: int) -> None:
    scored = score_days(shop(seed))

    assert not scored["is_anomaly"].any()  # weekends are normal, not anomalies


def test_the_forecast_follows_the_weekly_shape_within_its_interval() -> None:
    history = shop(1)
    forecast = forecast_revenue(history, horizon=14)

    assert list(forecast["day"]) == list(pd.date_range("2026-03-30", periods=14))
    weekend = forecast[forecast["day"].dt.day_of_week >= 5]["forecast"].mean()
    weekday = forecast[forecast["day"].dt.day_of_week < 5]["forecast"].mean()
    assert weekend / weekday == pytest.approx(1.2, abs=0.05)
    assert (forecast["lower"] < forecast["forecast"]).all()
    assert (forecast["forecast"] < forecast["upper"]).all()
    # The truth of the next two weeks, drawn from the same process, mostly lies in the 80% band.
    future = shop(101).assign(day=lambda f: f["day"] + pd.Timedelta(days=DAYS)).iloc[:14]
    inside = (future["revenue"].to_numpy() >= forecast["lower"].to_numpy()) & (
        future["revenue"].to_numpy() <= forecast["upper"].to_numpy()
    )
    assert inside.mean() >= 0.6


def test_a_short_history_is_refused_with_the_reason() -> None:
    history = shop(0).iloc[:5]
    with pytest.raises(NotEnoughHistoryError, match="at least 7"):
        forecast_series(history.set_index("day")["revenue"])


def test_days_without_orders_count_zero_in_the_daily_series(tmp_path: Path) -> None:
    """A backfill of old orders leaves gaps of days between them; they are zero, not an error."""
    settings = Settings(duckdb_build_path=tmp_path / "build.duckdb")
    with duckdb.connect(str(settings.duckdb_build_path)) as build:
        build.execute(
            "create schema marts; create table marts.fct_orders as select * from (values "
            "(date '2022-01-03', 'USD', 10.50, false), (date '2022-01-06', 'USD', 4.25, false), "
            "(date '2022-01-06', 'USD', 99.00, true), (date '2022-01-04', 'EUR', 7.00, false)) "
            "as t(ordered_date, currency, order_total, is_cancelled)"
        )
    daily = daily_revenue(settings)
    assert list(daily.columns) == ["day", "currency", "orders", "revenue"]
    usd = daily[daily["currency"] == "USD"]
    assert usd["day"].dt.strftime("%m-%d").tolist() == ["01-03", "01-04", "01-05", "01-06"]
    assert usd["orders"].tolist() == [1, 0, 0, 1]
    assert usd["revenue"].tolist() == [10.5, 0.0, 0.0, 4.25]
    assert daily[daily["currency"] == "EUR"]["orders"].tolist() == [1]
