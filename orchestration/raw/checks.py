"""The GX suite on the raw events: the gate every warehouse build waits behind.

The suite validates the most recent event date against the week before it: volume, required
fields, accepted values, exactly-once positions, date consistency and drift of the mix of
services. It is a blocking check, so a failure stops the dbt build in the same run, and automation
waits for it (`all_deps_blocking_checks_passed`).
"""

import math
from datetime import timedelta
from typing import TYPE_CHECKING

import dagster as dg
import pandas as pd
from dagster import AssetCheckExecutionContext

from acme.contexts import BOUNDED_CONTEXTS
from ingest.tables import RAW_EVENTS
from orchestration.quality.gx import validate_dataframe
from orchestration.raw.assets import RAW_EVENTS_KEY
from orchestration.raw.delta import event_dates, open_table, read_dates
from orchestration.resources import LakehouseResource

if TYPE_CHECKING:
    from great_expectations.expectations.expectation import Expectation

HISTORY_DAYS = 7
# A day with less than a tenth, or more than ten times, the typical daily volume is an incident
# (a dead producer, a replay storm), not a slow or busy day.
VOLUME_FACTOR = 10.0
# KL divergence of the service mix against the history; 0.5 tolerates busy/quiet days of single
# services but catches a service vanishing or a new one appearing.
DRIFT_THRESHOLD = 0.5
REQUIRED = ("event_id", "event_type", "event_time", "source_service", "correlation_id")
COLUMNS = [*REQUIRED, "schema_version", "event_date", "topic", "partition", "offset"]


def raw_events_expectations(current: pd.DataFrame, history: pd.DataFrame) -> list["Expectation"]:
    """The expectations for the latest day `current`, with bounds learnt from `history`."""
    import great_expectations as gx

    expectations: list[Expectation] = [
        gx.expectations.ExpectColumnValuesToNotBeNull(column=column) for column in REQUIRED
    ]
    expectations += [
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="source_service", value_set=list(BOUNDED_CONTEXTS)
        ),
        gx.expectations.ExpectColumnValuesToBeBetween(
            column="schema_version", min_value=1, max_value=99
        ),
        # Exactly once: a Kafka position lands at most once.
        gx.expectations.ExpectCompoundColumnsToBeUnique(
            column_list=["topic", "partition", "offset"]
        ),
        gx.expectations.ExpectColumnValuesToBeInSet(
            column="event_date_matches_event_time", value_set=[True]
        ),
    ]
    if history.empty:
        expectations.append(gx.expectations.ExpectTableRowCountToBeBetween(min_value=1))
        return expectations
    daily = history.groupby("event_date").size()
    typical = float(daily.median())
    expectations.append(
        gx.expectations.ExpectTableRowCountToBeBetween(
            min_value=max(1, math.floor(typical / VOLUME_FACTOR)),
            max_value=math.ceil(typical * VOLUME_FACTOR),
        )
    )
    mix = history["source_service"].value_counts(normalize=True).sort_index()
    expectations.append(
        gx.expectations.ExpectColumnKLDivergenceToBeLessThan(
            column="source_service",
            partition_object={"values": list(mix.index), "weights": [float(w) for w in mix]},
            threshold=DRIFT_THRESHOLD,
        )
    )
    return expectations


def latest_day_and_history(lakehouse: LakehouseResource) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of the latest event date and of the `HISTORY_DAYS` dates before it."""
    table = open_table(RAW_EVENTS.path(lakehouse.lake))
    dates = event_dates(table)
    if not dates:
        empty = pd.DataFrame(columns=COLUMNS)
        return empty, empty
    latest = dates[-1]
    window = [d for d in dates if latest - timedelta(days=HISTORY_DAYS) <= d]
    frame = read_dates(table, window, COLUMNS)
    frame["event_date_matches_event_time"] = (
        pd.to_datetime(frame["event_time"], utc=True).dt.date == frame["event_date"]
    )
    is_latest = frame["event_date"] == latest
    return frame[is_latest].reset_index(drop=True), frame[~is_latest].reset_index(drop=True)


@dg.asset_check(
    asset=RAW_EVENTS_KEY,
    name="raw_events_gx_suite",
    description="GX suite on the latest day of raw events (volume, nulls, accepted values, "
    "exactly-once positions, drift of the service mix vs the previous week). Blocking.",
    blocking=True,
    automation_condition=dg.AutomationCondition.eager(),
)
def raw_events_gx_suite(
    context: AssetCheckExecutionContext, lakehouse: LakehouseResource
) -> dg.AssetCheckResult:
    current, history = latest_day_and_history(lakehouse)
    outcome = validate_dataframe(
        lakehouse.gx_root,
        "raw_events",
        raw_events_expectations(current, history),
        current,
    )
    context.log.info("raw events suite: %s", outcome.to_check_result().description)
    return outcome.to_check_result()
