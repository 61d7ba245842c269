"""Dead letters: records that failed validation, kept with their raw bytes, reason and source offset.

The stream never stops for bad input: a record that cannot become a raw event becomes a row here,
and its position advances like any other (docs/decisions/raw-event-store.md).
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from ingest.tables import DEAD_LETTERS_SCHEMA

STREAM = "dead_letters"
"""Name of this output in app-transaction ids (see `ingest.offsets.app_id`)."""


class DeadLetterRows:
    """Dead-letter rows of one micro-batch, accumulated column by column."""

    def __init__(self) -> None:
        self._columns: dict[str, list[object]] = {name: [] for name in DEAD_LETTERS_SCHEMA.names}
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._columns["offset"])

    def add(
        self,
        *,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        raw: bytes | None,
        reason: str,
        detail: str,
        received_at: datetime,
    ) -> None:
        for name, value in (
            ("topic", topic),
            ("partition", partition),
            ("offset", offset),
            ("key", key),
            ("raw", raw),
            ("reason", reason),
            ("detail", detail),
            ("received_at", received_at),
        ):
            self._columns[name].append(value)
        self.nbytes += len(raw or b"") + len(detail) + 64

    def reasons(self) -> list[str]:
        """The reason of each row, for the dead-letter counters."""
        return [str(reason) for reason in self._columns["reason"]]

    def to_arrow(self) -> pa.Table:
        return pa.Table.from_pydict(self._columns, schema=DEAD_LETTERS_SCHEMA)
