"""Reading the raw Delta tables' state cheaply (version, row counts) and recent rows for checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError


class RawTableMissingError(RuntimeError):
    """A raw table the orchestration reads has not been created by the ingester yet."""


def open_table(path: Path) -> DeltaTable:
    """The Delta table at `path`, or a `RawTableMissingError` saying how to create it."""
    try:
        return DeltaTable(str(path))
    except TableNotFoundError:
        raise RawTableMissingError(
            f"no Delta table at {path}: run `acme ingest` (or its backfill) first"
        ) from None


def _add_actions(table: DeltaTable) -> dict[str, list[object]]:
    """The current version's file list with statistics (delta-rs returns an Arrow C-stream
    table; pyarrow reads it without copying)."""
    actions: dict[str, list[object]] = pa.table(table.get_add_actions(flatten=True)).to_pydict()
    return actions


def row_count(table: DeltaTable) -> int:
    """Rows in the current version, from the Delta log's file statistics (no data read)."""
    actions = _add_actions(table)
    return sum(int(count or 0) for count in actions.get("num_records", []))  # type: ignore[call-overload]


def event_dates(table: DeltaTable) -> list[date]:
    """The distinct `event_date` partitions of the raw events table, oldest first."""
    actions = _add_actions(table)
    values = actions.get("partition.event_date", [])
    return sorted({date.fromisoformat(str(value)) for value in values if value is not None})


def read_dates(table: DeltaTable, dates: list[date], columns: list[str]) -> pd.DataFrame:
    """The rows of the given event dates (partition-pruned), as pandas."""
    if not dates:
        return pd.DataFrame(columns=columns)
    dataset = table.to_pyarrow_dataset()
    wanted = pc.field("event_date").isin(pa.array(dates, type=pa.date32()))
    return dataset.to_table(columns=columns, filter=wanted).to_pandas()
