"""Observable source assets for the Delta tables the ingester writes.

Dagster never writes these tables: the long-running `acme ingest` does. Each observation records
the table's Delta version as the asset's data version, so downstream automation sees "new raw
data" exactly when a commit landed (docs/decisions/orchestration-automation.md).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ingest.tables import DEAD_LETTERS, RAW_EVENTS, TableSpec
from orchestration.raw.delta import open_table, row_count
from orchestration.resources import LakehouseResource

RAW_EVENTS_KEY = dg.AssetKey(["raw", "events"])
DEAD_LETTERS_KEY = dg.AssetKey(["raw", "dead_letters"])
GROUP = "raw"


def observe_delta(path: Path) -> dg.ObserveResult:
    """The Delta version as data version, with row and file counts as metadata."""
    table = open_table(path)
    version = table.version()
    return dg.ObserveResult(
        data_version=dg.DataVersion(str(version)),
        metadata={
            "delta_version": version,
            "rows": row_count(table),
            "files": len(table.file_uris()),
            "path": dg.MetadataValue.path(str(path)),
        },
    )


def _observable(key: dg.AssetKey, spec: TableSpec, description: str) -> dg.SourceAsset:
    @dg.observable_source_asset(key=key, group_name=GROUP, description=description)
    def observe(lakehouse: LakehouseResource) -> dg.ObserveResult:
        return observe_delta(spec.path(lakehouse.lake))

    return observe  # type: ignore[return-value]


raw_events = _observable(
    RAW_EVENTS_KEY,
    RAW_EVENTS,
    "Every domain event, landed exactly once by `acme ingest` (Delta, partitioned by "
    "source_service and event_date). Data version = Delta version.",
)
dead_letters = _observable(
    DEAD_LETTERS_KEY,
    DEAD_LETTERS,
    "Kafka records the ingester could not accept, with the reason. Data version = Delta version.",
)
