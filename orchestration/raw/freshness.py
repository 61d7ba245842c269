"""Freshness of the raw lake: the ingester runs continuously, so an hour without a new Delta
commit on the raw events is a warning (the dbt sources warn at the same lag)."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from orchestration.raw.assets import RAW_EVENTS_KEY

WARN_AFTER = timedelta(hours=1)


def raw_freshness_checks() -> list[dg.AssetChecksDefinition]:
    """A WARN check failing when the raw events were not updated for `WARN_AFTER`."""
    return list(
        dg.build_last_update_freshness_checks(
            assets=[RAW_EVENTS_KEY],
            lower_bound_delta=WARN_AFTER,
            severity=dg.AssetCheckSeverity.WARN,
        )
    )
