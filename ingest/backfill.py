"""Replay and backfill: load event files (JSONL, Parquet, CSV) into the raw table, idempotently.

Files go through the same contract check as Kafka records; rows that fail it become dead letters.
Lineage of backfilled rows (docs/decisions/backfill.md): `topic = 'backfill'`, `partition` = the
first 31 bits of the source's SHA-256, `offset` = the event's index in the source. A source is one
file, or with a mapping the mapping and all the files of the run together. Progress is an app
transaction keyed by the source's full SHA-256, committed with each chunk of rows, so a second run
of the same content (under any name) adds nothing and an interrupted run resumes where it stopped.

Parquet comes in two layouts: envelope columns (the raw table's own, e.g. an export of it) or raw
messages (a `value` column of event bytes, as `simulator.sinks.write_parquet` writes), which
are validated exactly like Kafka record values. Files in a foreign layout (e.g. a shop's orders
export) are turned into events by a YAML mapping (`ingest/mapping.py`; annotated examples in
`ingest/mappings/`).
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson
import pyarrow.compute as pc
import pyarrow.parquet as pq

from acme.contracts import InvalidEvent, validate
from acme.privacy.suppression import Suppression
from acme.settings import Settings
from ingest.dead_letters import DeadLetterRows
from ingest.mapping import (
    ENVELOPE_FIELDS,
    BackfillError,
    EventMapping,
    MappedEvent,
    Row,
    load_mapping,
)
from ingest.tables import DEAD_LETTERS, RAW_EVENTS
from ingest.transform import RawRows
from ingest.writer import DeltaAppender

__all__ = ["BACKFILL_TOPIC", "BackfillError", "EventMapping", "backfill_files", "load_mapping"]

log = logging.getLogger(__name__)

BACKFILL_TOPIC: Final = "backfill"
CHUNK_ROWS: Final = 50_000
_ENVELOPE_COLUMNS: Final = (*ENVELOPE_FIELDS, "payload")


def _envelope(row: Mapping[str, Any]) -> bytes:
    """Event bytes of a row in the raw table's own layout (envelope columns, payload as JSON)."""
    event = dict(row)
    if isinstance(event.get("payload"), str):  # the raw table's own layout: payload as JSON text
        event["payload"] = orjson.Fragment(event["payload"].encode())
    if isinstance(event.get("event_time"), datetime):
        event["event_time"] = event["event_time"].astimezone(UTC).isoformat().replace("+00:00", "Z")
    return orjson.dumps({k: v for k, v in event.items() if k in _ENVELOPE_COLUMNS})


def _is_message_layout(columns: list[str]) -> bool:
    """Raw Kafka messages (`acme simulate --out parquet`: context, key, value, ...) rather than
    envelope columns (the raw table's own layout)."""
    return "value" in columns and "event_id" not in columns


def _events(path: Path) -> Iterator[bytes]:
    """Event bytes of every row of a file in an event layout, in file order."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        with path.open("rb") as lines:
            for line in lines:
                line = line.strip()
                if line:
                    yield line
    elif suffix == ".parquet":
        parquet = pq.ParquetFile(path)
        if _is_message_layout(parquet.schema_arrow.names):
            # The simulator's layout: each row is a Kafka message; `value` holds its exact bytes.
            for batch in parquet.iter_batches(batch_size=10_000, columns=["value"]):
                for value in batch.column(0).to_pylist():
                    yield value or b""
            return
        for batch in parquet.iter_batches(batch_size=10_000):
            for row in batch.to_pylist():
                yield _envelope(row)
    elif suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                if "payload" not in record:
                    raise BackfillError(f"{path}: CSV without a payload column needs --mapping")
                yield _envelope(
                    {
                        **record,
                        "schema_version": int(record["schema_version"]),
                        "causation_id": record.get("causation_id") or None,
                    }
                )
    else:
        raise _unsupported(path)


def _unsupported(path: Path) -> BackfillError:
    return BackfillError(
        f"{path}: unsupported file type {path.suffix.lower()!r}; use .jsonl, .parquet or .csv"
    )


def _source_rows(path: Path) -> Iterator[Row]:
    """The rows of a foreign export, for a mapping: CSV as text (money keeps its digits), JSONL
    objects, Parquet rows with their column types."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as handle:  # -sig: spreadsheet exports
            reader = csv.DictReader(handle)
            for number, record in enumerate(reader, 1):
                if None in record or None in record.values():  # DictReader's marks of a ragged row
                    raise BackfillError(
                        f"{path}: row {number}: its number of fields differs from the header's "
                        f"{len(reader.fieldnames or ())}"
                    )
                yield Row(str(path), number, record)
    elif suffix in (".jsonl", ".ndjson"):
        with path.open("rb") as lines:
            for number, line in enumerate(filter(None, map(bytes.strip, lines)), 1):
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError as error:
                    raise BackfillError(f"{path}: row {number}: not JSON: {error}") from None
                if not isinstance(record, dict):
                    raise BackfillError(f"{path}: row {number}: not a JSON object")
                yield Row(str(path), number, record)
    elif suffix == ".parquet":
        number = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
            for record in batch.to_pylist():
                number += 1
                yield Row(str(path), number, record)
    else:
        raise _unsupported(path)


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _commit(
    raw: DeltaAppender,
    dead: DeltaAppender,
    rows: RawRows,
    letters: DeadLetterRows,
    app_id: str,
    next_index: int,
) -> None:
    """Dead letters first, raw last: the raw table's version is where a rerun resumes."""
    if len(letters):
        dead.append(letters.to_arrow(), {app_id: next_index})
    raw.append(rows.to_arrow(), {app_id: next_index})


def _load(
    raw: DeltaAppender,
    dead: DeltaAppender,
    source: str,
    digest: str,
    events: Iterable[bytes | None],
    suppression: Suppression,
) -> tuple[int, int, int, int]:
    """Load the events of one source (a file, or the files of a mapped run) under the app id of
    its digest, skipping None and events of erased customers; return (events loaded, dead
    letters, events done before, events suppressed)."""
    app_id = f"acme-backfill/{digest}"
    partition = int(digest[:8], 16) & 0x7FFF_FFFF
    done = raw.transaction_versions([app_id]).get(app_id, 0)
    dead_done = dead.transaction_versions([app_id]).get(app_id, 0)
    loaded = rejected = suppressed = 0
    rows, letters, index = RawRows(), DeadLetterRows(), -1
    received_at = datetime.now(UTC)
    for index, value in enumerate(events):
        if index < done or value is None:
            continue
        try:
            event = validate(value)
            if suppression.drops(event):
                suppressed += 1
            else:
                rows.extend(BACKFILL_TOPIC, partition, [event], [index])
                loaded += 1
        except InvalidEvent as invalid:
            rejected += 1
            if index >= dead_done:
                letters.add(
                    topic=BACKFILL_TOPIC,
                    partition=partition,
                    offset=index,
                    key=source.encode(),
                    raw=value,
                    reason=invalid.reason,
                    detail=invalid.detail,
                    received_at=received_at,
                )
        if len(rows) + len(letters) >= CHUNK_ROWS:
            _commit(raw, dead, rows, letters, app_id, index + 1)
            rows, letters = RawRows(), DeadLetterRows()
    if index + 1 > done:
        _commit(raw, dead, rows, letters, app_id, index + 1)
    log.info(
        "backfilled",
        extra={
            "source": source,
            "sha256": digest,
            "loaded": loaded,
            "dead_letters": rejected,
            "suppressed": suppressed,
        },
    )
    return loaded, rejected, done, suppressed


def _mapped_events(
    raw: DeltaAppender, files: list[Path], mapping: EventMapping
) -> list[bytes | None]:
    """The event bytes a mapping makes of the files, computed before anything is written, so a
    bad value stops the run with nothing half-loaded; None for an event to skip.

    The files are one export: a group whose rows are spread over several of them (an order split
    at a file boundary) is one event. An event whose id was already made earlier in the run, or
    is already in the raw table, is skipped when identical (or when its entry says
    `if_loaded: keep`) and stops the run when different, so that an order split across two runs
    is refused instead of loaded twice with half its lines each time."""
    rows = [row for path in files for row in _source_rows(path)]
    events = list(mapping.events(rows))
    first: dict[str, MappedEvent] = {}
    for event in events:
        if not isinstance(event.event_id, str):
            continue  # no id (an empty column in its template): the contract check refuses it
        seen = first.setdefault(event.event_id, event)
        if seen.value != event.value and not event.keep_loaded:
            raise BackfillError(
                f"{event.origin} and {seen.origin} both make event {event.event_id}, with "
                f"different content: the mapping's ids must tell these apart"
            )
    loaded = _loaded(raw, list(first))
    values: list[bytes | None] = []
    for event in events:
        if not isinstance(event.event_id, str):
            values.append(event.value)
            continue
        if first[event.event_id] is not event:
            values.append(None)  # made earlier in this run
            continue
        stored = loaded.get(event.event_id)
        if stored is not None and stored != orjson.loads(event.value) and not event.keep_loaded:
            raise BackfillError(
                f"{event.origin}: event {event.event_id} is already in the raw table with other "
                f"content; a loaded event is never replaced. Is a group split across two "
                f"backfill runs (pass all its files to one run) or changed since it was loaded?"
            )
        values.append(None if stored is not None else event.value)
    return values


def _loaded(raw: DeltaAppender, event_ids: list[str]) -> dict[str, Any]:
    """The events with these ids already in the raw table (first delivery), as parsed JSON."""
    if not event_ids:
        return {}
    table = raw.table.to_pyarrow_dataset().to_table(
        columns=list(_ENVELOPE_COLUMNS), filter=pc.field("event_id").isin(event_ids)
    )
    loaded: dict[str, Any] = {}
    for row in table.to_pylist():
        loaded.setdefault(row["event_id"], orjson.loads(_envelope(row)))
    return loaded


def backfill_files(
    settings: Settings, files: list[Path], mapping: EventMapping | None
) -> list[str]:
    """Load the files into the raw table (bad rows into dead letters); return one report line per
    source: each file, or with a mapping all the files together. Re-running with the same content
    adds nothing."""
    raw = DeltaAppender(RAW_EVENTS.path(settings.lake_root), RAW_EVENTS)
    dead = DeltaAppender(DEAD_LETTERS.path(settings.lake_root), DEAD_LETTERS)
    suppression = Suppression(settings.lake_root, settings.pii_salt.get_secret_value())
    sources: list[tuple[str, str, Iterable[bytes | None], int]]
    if mapping is None:
        sources = [(str(path), _digest(path), _events(path), 0) for path in files]
    else:
        # The source is the mapping's meaning plus the files' contents, in order.
        parts = [mapping.digest, *(_digest(path) for path in files)]
        digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
        events = _mapped_events(raw, files, mapping)
        sources = [(", ".join(map(str, files)), digest, events, events.count(None))]
    report = []
    for source, digest, values, skipped in sources:
        loaded, rejected, done, suppressed = _load(raw, dead, source, digest, values, suppression)
        note = f" ({suppressed} of erased customers dropped)" if suppressed else ""
        if done:
            note += f" ({done} were already loaded)"
        elif skipped:
            note += f" ({skipped} skipped: already in the raw table or made twice)"
        report.append(f"{source}: {loaded} events loaded, {rejected} dead letters{note}")
    return report
