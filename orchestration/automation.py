"""The declarative automation of the lakehouse, in one place (docs/decisions/orchestration-automation.md).

- Warehouse models and the serving copy rebuild as soon as their upstreams change (`eager`), but
  never past a failed blocking check upstream: a bad raw batch stops the build, not just warns.
- Analytics (forecasts, anomaly scores) and reports run on schedules (daily, weekly), not on every
  raw commit: a forecast per micro-batch would be noise.
- Marts promise to be at most 2 hours old (warn) and 12 hours (fail) through a `FreshnessPolicy`.
"""

from datetime import timedelta

import dagster as dg

WAREHOUSE_CONDITION = (
    dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
).with_label("eager, behind blocking checks")

MART_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=12), warn_window=timedelta(hours=2)
)
