"""Analytics on the marts: revenue forecasts, anomaly scores, and the report files built on them."""
