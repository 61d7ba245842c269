"""Forecast and anomaly scoring on series whose truth is known: a weekly-seasonal shop with noise,
with and without an injected incident."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.analytics.anomalies import score_days
from orchestration.analytics.forecasting import (
    NotEnoughHistoryError,
    forecast_revenue,
    forecast_series,
)

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
