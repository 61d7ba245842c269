"""Append Arrow batches to a Delta table together with app-transaction versions, in one commit.

The writer knows nothing of Kafka: callers hand it rows and opaque `app_id -> version` pairs; the
Delta log makes both visible atomically, so a reader never sees rows without the position that
produced them, or the reverse.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from ingest.tables import TableSpec

log = logging.getLogger(__name__)


def open_or_create(path: Path, spec: TableSpec) -> DeltaTable:
    """The Delta table at `path`, created empty with the spec's schema when it does not exist, so
    readers (dbt sources, DuckDB views) can be defined before the first event arrives."""
    try:
        return DeltaTable(str(path))
    except TableNotFoundError:
        path.mkdir(parents=True, exist_ok=True)
        try:
            return DeltaTable.create(
                str(path),
                schema=spec.schema,
                partition_by=list(spec.partition_by) or None,
                mode="error",
            )
        except DeltaError:
            # Created concurrently by another process (backfill next to the ingester): use theirs.
            return DeltaTable(str(path))


class DeltaAppender:
    """One Delta table that receives appends tagged with app-transaction versions."""

    def __init__(self, path: Path, spec: TableSpec) -> None:
        self.path = path
        self.spec = spec
        self.table = open_or_create(path, spec)

    def transaction_versions(self, app_ids: Iterable[str]) -> dict[str, int]:
        """Stored version of each app id that has one; ids never committed are left out."""
        versions: dict[str, int] = {}
        for app_id in app_ids:
            version = self.table.transaction_version(app_id)
            if version is not None:
                versions[app_id] = version
        return versions

    def append(self, rows: pa.Table, transactions: Mapping[str, int]) -> None:
        """Append `rows` (possibly none) and record `transactions` in the same Delta commit. For
        a table with a commit stamp, `rows` come without that column: it is set here.

        An empty `rows` still commits, so positions advance even when a batch had nothing for this
        table. delta-rs does not refuse a version lower than the stored one: callers must skip
        what `transaction_versions` says is already written.
        """
        if rows.num_rows == 0 and not transactions:
            return
        stamp = self.spec.commit_stamp
        with self._commit_lock():
            if stamp is not None:
                field = self.spec.schema.field(stamp)
                rows = rows.append_column(
                    field, pa.repeat(pa.scalar(datetime.now(UTC), field.type), rows.num_rows)
                ).select(self.spec.schema.names)
            write_deltalake(
                self.table,
                rows.cast(self.spec.schema),
                mode="append",
                partition_by=list(self.spec.partition_by) or None,
                commit_properties=CommitProperties(
                    app_transactions=[Transaction(app_id, v) for app_id, v in transactions.items()],
                    max_commit_retries=50,
                ),
            )
        log.debug(
            "delta commit",
            extra={
                "table": self.spec.relative_path,
                "rows": rows.num_rows,
                "version": self.version,
            },
        )

    @property
    def version(self) -> int:
        return self.table.version()

    @contextmanager
    def _commit_lock(self) -> Iterator[None]:
        """For a table with a commit stamp: hold the table's writer lock (a file beside the
        table, so every process on this host shares it; the kernel releases it if the holder
        dies) while the stamp is taken and the commit made. Without it, two ingest workers or a
        backfill beside the ingester could commit an older stamp after a newer one, and a reader
        that had already moved its high-water mark past it would never read those rows."""
        if self.spec.commit_stamp is None:
            yield
            return
        lock_path = self.path.parent / f".{self.path.name}.commit-lock"
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield  # the lock goes with the file's close
