"""The daily series analytics work on, read from the marts."""

import pandas as pd

from acme.settings import Settings
from orchestration.warehouse.reading import query_build


def daily_revenue(settings: Settings) -> pd.DataFrame:
    """One row per order date and currency: orders and revenue (order totals, cancellations
    excluded), every date between the first and last present (missing days are 0)."""
    frame = query_build(
        settings,
        "select ordered_date as day, currency, count(*) as orders, "
        "sum(order_total)::double as revenue from marts.fct_orders "
        "where not is_cancelled group by all order by all",
    )
    if frame.empty:
        return frame
    frame["day"] = pd.to_datetime(frame["day"])
    filled = []
    for currency, group in frame.groupby("currency"):
        days = pd.date_range(group["day"].min(), group["day"].max(), freq="D")
        # Only the measures are filled: a 0 in the text column fails (pandas' str dtype).
        group = (
            group.set_index("day")[["orders", "revenue"]]
            .reindex(days, fill_value=0)
            .rename_axis("day")
            .reset_index()
        )
        group.insert(1, "currency", currency)
        filled.append(group)
    return pd.concat(filled, ignore_index=True)
