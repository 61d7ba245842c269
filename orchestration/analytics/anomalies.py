"""Anomaly scores for daily shop metrics: a robust z-score and an Isolation Forest.

The robust z-score (median and MAD of the same weekday in the previous weeks, so neither the
weekly shape nor past incidents inflate the baseline) catches one metric jumping; the Isolation Forest (scikit-learn) catches unusual
combinations (many orders at a tiny basket, normal revenue from few orders). The forest always
isolates its contamination share of days, so alone it would cry wolf: a day is anomalous when both
methods agree (only the z-score until the forest has enough days), and `methods` lists each
method's verdict for people digging further.
"""

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

METRICS = ("orders", "revenue")
BASELINE_WEEKS = 6
MIN_BASELINE_WEEKS = 4
MIN_FOREST_DAYS = 14
# |robust z| above 3.5 is the usual outlier cut for the modified z-score (Iglewicz & Hoaglin).
ROBUST_Z_THRESHOLD = 3.5
# Share of days the forest treats as outliers: a few per quarter.
FOREST_CONTAMINATION = 0.03
MAD_TO_SIGMA = 1.4826


def robust_z_scores(values: pd.Series, weekdays: pd.Series) -> pd.Series:
    """Each value's robust z-score against the same weekday of the `BASELINE_WEEKS` weeks before
    it (NaN until `MIN_BASELINE_WEEKS` such days exist)."""
    scores = pd.Series(np.nan, index=values.index)
    for _, same_day in values.groupby(weekdays):
        previous = same_day.shift(1).rolling(BASELINE_WEEKS, min_periods=MIN_BASELINE_WEEKS)
        median = previous.median()
        mad = previous.apply(lambda window: np.nanmedian(np.abs(window - np.nanmedian(window))))
        # Few same-weekday points underestimate the spread (and a flat baseline would divide by zero):
        # the scale is at least 5% of the median, so ordinary day-to-day noise never alarms.
        scale = np.maximum(MAD_TO_SIGMA * mad, 0.05 * median.abs().clip(lower=1.0))
        scores[same_day.index] = (same_day - median) / scale
    return scores


def isolation_forest_flags(features: pd.DataFrame, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Outlier flags and scores (higher = more anomalous) from an Isolation Forest on `features`."""
    forest = IsolationForest(
        n_estimators=200, contamination=FOREST_CONTAMINATION, random_state=seed
    ).fit(features.to_numpy())
    return forest.predict(features.to_numpy()) == -1, -forest.score_samples(features.to_numpy())


def score_days(daily: pd.DataFrame) -> pd.DataFrame:
    """Per day and currency: robust z-scores of orders and revenue, the forest score, and whether
    the day is anomalous (and by which methods)."""
    scored = []
    for currency, group in daily.groupby("currency"):
        group = group.sort_values("day").reset_index(drop=True)
        for metric in METRICS:
            group[f"{metric}_robust_z"] = robust_z_scores(
                group[metric].astype(float), group["day"].dt.day_of_week
            )
        z_flag = (
            group[[f"{metric}_robust_z" for metric in METRICS]].abs() > ROBUST_Z_THRESHOLD
        ).any(axis=1)
        features = pd.DataFrame(
            {
                "orders": group["orders"].astype(float),
                "revenue": group["revenue"].astype(float),
                "basket": group["revenue"].astype(float) / group["orders"].clip(lower=1),
                "weekday": group["day"].dt.day_of_week,
            }
        )
        if len(group) >= MIN_FOREST_DAYS:
            forest_flag, forest_score = isolation_forest_flags(features)
            group["is_anomaly"] = z_flag.to_numpy() & forest_flag
        else:
            forest_flag, forest_score = np.zeros(len(group), bool), np.full(len(group), np.nan)
            group["is_anomaly"] = z_flag.to_numpy()
        group["forest_score"] = forest_score
        group["methods"] = [
            ",".join(name for name, hit in (("robust_z", z), ("isolation_forest", f)) if hit)
            for z, f in zip(z_flag, forest_flag, strict=True)
        ]
        group["currency"] = currency
        scored.append(group)
    return pd.concat(scored, ignore_index=True) if scored else daily.assign(is_anomaly=False)
