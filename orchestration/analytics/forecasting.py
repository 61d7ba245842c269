"""Daily revenue forecast per currency with an ETS model (statsmodels), with prediction intervals.

ETS (error-trend-seasonality) with a damped additive trend, and weekly seasonality once two full
weeks of history exist: shop revenue has a strong day-of-week shape and no reason to trend forever.
"""

import warnings

import numpy as np
import pandas as pd
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

HORIZON_DAYS = 14
MIN_HISTORY_DAYS = 7
SEASONAL_PERIOD = 7


class NotEnoughHistoryError(ValueError):
    """The series is too short to fit a forecast."""


def forecast_series(history: pd.Series, horizon: int = HORIZON_DAYS) -> pd.DataFrame:
    """Forecast a daily series (DatetimeIndex, daily frequency) `horizon` days ahead.

    Returns one row per future day: `forecast` and the 80% interval `lower`/`upper` (floored at 0:
    revenue is never negative).
    """
    if len(history) < MIN_HISTORY_DAYS:
        raise NotEnoughHistoryError(
            f"{len(history)} days of history; a forecast needs at least {MIN_HISTORY_DAYS}"
        )
    series = history.asfreq("D").fillna(0.0).astype(float)
    seasonal = "add" if len(series) >= 2 * SEASONAL_PERIOD else None
    model = ETSModel(
        series,
        error="add",
        trend="add",
        damped_trend=True,
        seasonal=seasonal,
        seasonal_periods=SEASONAL_PERIOD if seasonal else None,
    )
    with warnings.catch_warnings():
        # Convergence chatter on short series; the fit is still the maximum likelihood found.
        warnings.simplefilter("ignore")
        fitted = model.fit(disp=False)
    prediction = fitted.get_prediction(start=len(series), end=len(series) + horizon - 1)
    summary = prediction.summary_frame(alpha=0.2)
    return pd.DataFrame(
        {
            "day": pd.date_range(series.index[-1] + pd.Timedelta(days=1), periods=horizon),
            "forecast": np.maximum(summary["mean"].to_numpy(), 0.0),
            "lower": np.maximum(summary["pi_lower"].to_numpy(), 0.0),
            "upper": np.maximum(summary["pi_upper"].to_numpy(), 0.0),
        }
    )


def forecast_revenue(daily: pd.DataFrame, horizon: int = HORIZON_DAYS) -> pd.DataFrame:
    """Forecasts of `revenue` for every currency of `daily` (day, currency, revenue) with enough
    history; columns day, currency, forecast, lower, upper, history_days."""
    forecasts = []
    for currency, group in daily.groupby("currency"):
        series = group.set_index("day")["revenue"]
        if len(series) < MIN_HISTORY_DAYS:
            continue
        frame = forecast_series(series, horizon)
        frame["currency"] = currency
        frame["history_days"] = len(series)
        forecasts.append(frame)
    if not forecasts:
        raise NotEnoughHistoryError(
            f"no currency has {MIN_HISTORY_DAYS} days of revenue history yet"
        )
    return pd.concat(forecasts, ignore_index=True)
