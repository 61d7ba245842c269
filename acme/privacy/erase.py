"""Erase a data subject everywhere: raw events, dead letters, the warehouse and its releases.

Orders, payments and sessions stay, so every aggregate keeps its value, but they belong to a
random pseudonymous customer afterwards: the subject's customer id and device ids are replaced by
fresh UUIDs, its e-mail by `<uuid>@erased.invalid`, and every other PII-tagged field of its events
by `erased`. Dead letters that mention the subject are deleted. The Delta files that held the old
rows are deleted at once (not left for time travel), the table's log is checkpointed and its
older entries removed, the warehouse is rebuilt into a new file (snapshot history kept,
pseudonymized) and published, and older releases are deleted. A receipt goes to the erasures
table, which also suppresses the subject's future events at ingest. See docs/decisions/privacy.md.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from acme.contracts.registry import pii_fields
from acme.lake_layout import lake_path
from acme.privacy.subject import (
    Subject,
    dead_letters_of,
    raw_events_of,
    resolve_subject,
    sql_string,
)
from acme.privacy.suppression import identifier_key
from acme.settings import Settings
from acme.warehouse.dbt import build
from acme.warehouse.publish import publish, releases_dir

log = logging.getLogger(__name__)

ERASED: Final = "erased"
ERASED_EMAIL_DOMAIN: Final = "erased.invalid"
# Build-database schemas that hold history a full refresh cannot rebuild from the raw events.
HISTORY_SCHEMAS: Final = ("snapshots",)
RECEIPTS_SCHEMA: Final = pa.schema(
    [
        pa.field("subject_key", pa.string(), nullable=False),
        # Keys of every identifier of the subject (id, e-mails, devices): ingest drops events
        # that name one (acme.privacy.suppression).
        pa.field("identifier_keys", pa.list_(pa.string()), nullable=False),
        pa.field("erased_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("raw_events_redacted", pa.int64(), nullable=False),
        pa.field("dead_letters_deleted", pa.int64(), nullable=False),
        pa.field("snapshot_rows_pseudonymized", pa.int64(), nullable=False),
        pa.field("warehouse_release", pa.string(), nullable=True),
    ]
)


def subject_key(settings: Settings, customer_id: str) -> str:
    """The salted hash under which an erased customer is remembered (never the id itself)."""
    return identifier_key(settings.pii_salt.get_secret_value(), customer_id)


@dataclass(frozen=True)
class Redaction:
    """What replaces each of the subject's values: a fresh pseudonym per identifier."""

    replacements: dict[str, str]

    @classmethod
    def for_subject(cls, subject: Subject) -> Redaction:
        replacements = {
            value: str(uuid.uuid4()) for value in {subject.customer_id, *subject.device_ids}
        }
        for email in subject.emails:
            replacements[email] = f"{uuid.uuid4()}@{ERASED_EMAIL_DOMAIN}"
        return cls(replacements)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.replacements.get(value, value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        return value

    def payload(self, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
        redacted = self.value(payload)
        try:
            tagged = pii_fields(event_type)
        except KeyError:  # a type no contract knows: its identifiers are replaced all the same
            tagged = set()
        for dotted in tagged:
            _erase_field(redacted, dotted.split("."))
        return redacted  # type: ignore[no-any-return]


def _erase_field(node: Any, path: list[str]) -> None:
    if not isinstance(node, dict) or path[0] not in node:
        return
    if len(path) > 1:
        _erase_field(node[path[0]], path[1:])
        return
    value = node[path[0]]
    if isinstance(value, str) and value.endswith("@" + ERASED_EMAIL_DOMAIN):
        return  # an e-mail already replaced by its pseudonym
    if value is not None:
        node[path[0]] = ERASED


def _redacted_raw_rows(rows: pa.Table, redaction: Redaction) -> pa.Table:
    columns = rows.to_pydict()
    columns["payload"] = [
        json.dumps(redaction.payload(event_type, json.loads(payload)), separators=(",", ":"))
        for event_type, payload in zip(columns["event_type"], columns["payload"], strict=True)
    ]
    for name in ("correlation_id", "causation_id"):
        columns[name] = [redaction.value(value) for value in columns[name]]
    return pa.table(columns, schema=rows.schema)


def _row_predicate(alias_target: str = "target", alias_source: str = "source") -> str:
    return " and ".join(
        f'{alias_target}."{column}" = {alias_source}."{column}"'
        for column in ("topic", "partition", "offset", "event_id")
    )


def _log_entry(table_path: Path, version: int) -> list[dict[str, Any]]:
    entry = table_path / "_delta_log" / f"{version:020d}.json"
    return [json.loads(line) for line in entry.read_text().splitlines() if line.strip()]


def _purge_history(table: DeltaTable, table_path: Path, rewrite_version: int) -> None:
    """Delete the data files the rewrite replaced, then checkpoint the table and drop the log
    entries before it, whose file statistics may still name the subject."""
    for action in _log_entry(table_path, rewrite_version):
        removed = action.get("remove")
        if removed:
            (table_path / removed["path"]).unlink(missing_ok=True)
    table.update_incremental()
    table.create_checkpoint()
    checkpoint = table.version()
    for entry in (table_path / "_delta_log").iterdir():
        stem = entry.name.split(".")[0]
        if stem.isdigit() and int(stem) < checkpoint and not entry.name.endswith(".crc"):
            entry.unlink()


def _erase_raw_events(settings: Settings, subject: Subject, redaction: Redaction) -> int:
    rows = raw_events_of(settings, subject)
    if rows.num_rows == 0:
        return 0
    path = lake_path(settings.lake_root, "raw_events")
    table = DeltaTable(str(path))
    (
        table.merge(
            _redacted_raw_rows(rows, redaction),
            predicate=_row_predicate(),
            source_alias="source",
            target_alias="target",
        )
        .when_matched_update_all()
        .execute()
    )
    _purge_history(table, path, table.version())
    return int(rows.num_rows)


def _erase_dead_letters(settings: Settings, subject: Subject) -> int:
    letters = dead_letters_of(settings, subject)
    if letters.num_rows == 0:
        return 0
    path = lake_path(settings.lake_root, "dead_letters")
    table = DeltaTable(str(path))
    positions = " or ".join(
        f'("topic" = {sql_string(topic)} and "partition" = {partition} and "offset" = {offset})'
        for topic, partition, offset in zip(
            letters["topic"].to_pylist(),
            letters["partition"].to_pylist(),
            letters["offset"].to_pylist(),
            strict=True,
        )
    )
    table.delete(positions)
    _purge_history(table, path, table.version())
    return int(letters.num_rows)


def _pseudonymize_history(build_path: Path, fresh_path: Path, redaction: Redaction) -> int:
    """Copy the history schemas of the build database into a new file, with the subject's ids
    replaced; the old file (whose free blocks may still hold the subject) is then deleted."""
    fresh_path.unlink(missing_ok=True)
    changed = 0
    with duckdb.connect(str(fresh_path)) as conn:
        if build_path.exists():
            conn.execute(f"attach '{build_path}' as old (read_only)")
            for schema in HISTORY_SCHEMAS:
                tables = conn.execute(
                    "select table_name from duckdb_tables() "
                    "where database_name = 'old' and schema_name = ?",
                    [schema],
                ).fetchall()
                conn.execute(f'create schema if not exists "{schema}"')
                for (name,) in tables:
                    target = f'"{schema}"."{name}"'
                    conn.execute(f"create table {target} as select * from old.{target}")
                    columns = {
                        column
                        for (column,) in conn.execute(
                            "select column_name from duckdb_columns() where database_name = "
                            "current_database() and schema_name = ? and table_name = ? "
                            "and data_type = 'VARCHAR'",
                            [schema, name],
                        ).fetchall()
                    }
                    for column in columns:
                        for old, new in redaction.replacements.items():
                            result = conn.execute(
                                f'update {target} set "{column}" = ? where "{column}" = ?',
                                [new, old],
                            ).fetchone()
                            changed += int(result[0]) if result else 0
            conn.execute("detach old")
        conn.execute("checkpoint")
    return changed


def _rebuild_warehouse(settings: Settings, redaction: Redaction) -> tuple[int, str | None]:
    """Rebuild the warehouse from the erased lake into a new build file, publish it, and delete
    every earlier release; returns the snapshot rows pseudonymized and the new release."""
    build_path = settings.duckdb_build_path
    if not build_path.exists():
        return 0, None
    fresh = build_path.with_name(build_path.name + ".erasing")
    changed = _pseudonymize_history(build_path, fresh, redaction)
    build_path.unlink()
    build_path.with_name(build_path.name + ".wal").unlink(missing_ok=True)
    fresh.rename(build_path)
    build(settings, full_refresh=True, capture=True)
    release = publish(settings)
    for old in releases_dir(settings).glob("*.duckdb*"):
        if old != release:
            old.unlink()
    return changed, release.name


def record_receipt(settings: Settings, receipt: dict[str, Any]) -> None:
    """Append one erasure receipt (the subject only as its salted key) to the erasures table."""
    path = lake_path(settings.lake_root, "erasures")
    path.mkdir(parents=True, exist_ok=True)
    write_deltalake(
        str(path), pa.Table.from_pylist([receipt], schema=RECEIPTS_SCHEMA), mode="append"
    )


def erase_subject(settings: Settings, identifier: str) -> dict[str, Any]:
    """Erase the customer named by a customer id or e-mail everywhere; return the receipt."""
    subject = resolve_subject(settings, identifier)
    redaction = Redaction.for_subject(subject)
    raw = _erase_raw_events(settings, subject, redaction)
    dead = _erase_dead_letters(settings, subject)
    snapshot_rows, release = _rebuild_warehouse(settings, redaction)
    receipt = {
        "subject_key": subject_key(settings, subject.customer_id),
        "identifier_keys": sorted(
            identifier_key(settings.pii_salt.get_secret_value(), value)
            for value in subject.identifiers
        ),
        "erased_at": datetime.now(UTC),
        "raw_events_redacted": raw,
        "dead_letters_deleted": dead,
        "snapshot_rows_pseudonymized": snapshot_rows,
        "warehouse_release": release,
    }
    record_receipt(settings, receipt)
    log.info("erased a subject", extra={"subject_key": receipt["subject_key"]})
    return receipt
