"""Replay and backfill: load event files (JSONL, Parquet, CSV) into the raw table, idempotently.

Files go through the same contract check as Kafka records; rows that fail it become dead letters.
Lineage of backfilled rows (docs/decisions/backfill.md): `topic = 'backfill'`, `partition` = the
first 31 bits of the file's SHA-256, `offset` = the row's index in the file. Progress is an app
transaction keyed by the file's full SHA-256, committed with each chunk of rows, so a second run of
the same content (under any name) adds nothing and an interrupted run resumes where it stopped.

Parquet comes in two layouts: envelope columns (the raw table's own, e.g. an export of it) or raw
messages (a `value` column of event bytes, as `acme.simulator.sinks.write_parquet` writes), which
are validated exactly like Kafka record values. Files in a foreign layout (e.g. a historical orders
export) are turned into event envelopes by a
YAML mapping; see `ingest/mappings/legacy_orders.yml` for an annotated example.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import orjson
import pyarrow.parquet as pq
import yaml

from acme.contracts import InvalidEvent, validate
from acme.settings import Settings
from ingest.dead_letters import DeadLetterRows
from ingest.tables import DEAD_LETTERS, RAW_EVENTS
from ingest.transform import RawRows
from ingest.writer import DeltaAppender

log = logging.getLogger(__name__)

BACKFILL_TOPIC: Final = "backfill"
CHUNK_ROWS: Final = 50_000
ID_NAMESPACE: Final = uuid.UUID("6f1c7e2a-4d0b-5c1e-9a57-0b7f3c2d1e4a")
"""uuid5 namespace of ids derived by mappings: the same source row always gets the same id."""
_OPERATORS: Final = frozenset({"column", "const", "template", "uuid5", "timestamp"})
ENVELOPE_FIELDS: Final = (
    "event_id",
    "event_type",
    "schema_version",
    "event_time",
    "source_service",
    "correlation_id",
    "causation_id",
)


class BackfillError(ValueError):
    """A backfill input or mapping is unusable; the message names the file and what to fix."""


EventMapping = dict[str, Any]
"""A parsed mapping file: envelope fields and a `payload` tree of mapping nodes."""


def load_mapping(path: Path) -> EventMapping:
    """Read and check a YAML mapping file (envelope fields plus a `payload` tree)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise BackfillError(f"{path}: cannot read mapping: {error}") from None
    if not isinstance(document, dict):
        raise BackfillError(f"{path}: a mapping is a YAML object")
    missing = [f for f in (*ENVELOPE_FIELDS[:-1], "payload") if f not in document]
    if missing:
        raise BackfillError(f"{path}: mapping lacks {', '.join(missing)}")
    return document


def _render(spec: Any, row: Mapping[str, Any], where: str) -> Any:
    """Evaluate one mapping node against a source row."""
    if isinstance(spec, list):
        return [_render(item, row, f"{where}[{i}]") for i, item in enumerate(spec)]
    if not isinstance(spec, dict):
        return spec  # a literal
    operators = _OPERATORS & spec.keys()
    if not operators:
        return {key: _render(value, row, f"{where}.{key}") for key, value in spec.items()}
    try:
        if "const" in spec:
            return spec["const"]
        if "template" in spec:
            return str(spec["template"]).format_map(row)
        if "uuid5" in spec:
            return str(uuid.uuid5(ID_NAMESPACE, str(spec["uuid5"]).format_map(row)))
        if "timestamp" in spec:
            value = datetime.strptime(
                str(row[spec["timestamp"]]), spec.get("format", "%Y-%m-%dT%H:%M:%S")
            )
            return (
                value.replace(tzinfo=value.tzinfo or UTC)
                .astimezone(UTC)
                .isoformat()
                .replace("+00:00", "Z")
            )
        value = row[spec["column"]]
    except KeyError as error:
        raise BackfillError(f"mapping {where}: the source has no column {error}") from None
    except ValueError as error:
        raise BackfillError(f"mapping {where}: {error}") from None
    kind = spec.get("type", "string")
    if value is None or value == "":
        return None
    if kind == "money":  # the contracts' money format: a decimal string with two places
        try:
            return str(Decimal(str(value)).quantize(Decimal("0.01")))
        except InvalidOperation:
            return str(value)  # left for the contract check to reject with a reason
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    return str(value)


def _envelope(mapping: EventMapping | None, row: Mapping[str, Any]) -> bytes:
    """Event bytes of one source row: mapped, or taken as an envelope when there is no mapping."""
    if mapping is not None:
        event = {field: _render(mapping.get(field), row, field) for field in ENVELOPE_FIELDS}
        event["payload"] = _render(mapping["payload"], row, "payload")
        return orjson.dumps(event)
    event = dict(row)
    if isinstance(event.get("payload"), str):  # the raw table's own layout: payload as JSON text
        event["payload"] = orjson.Fragment(event["payload"].encode())
    if isinstance(event.get("event_time"), datetime):
        event["event_time"] = event["event_time"].astimezone(UTC).isoformat().replace("+00:00", "Z")
    return orjson.dumps({k: v for k, v in event.items() if k in (*ENVELOPE_FIELDS, "payload")})


def _is_message_layout(columns: list[str]) -> bool:
    """Raw Kafka messages (`acme simulate --out parquet`: context, key, value, ...) rather than
    envelope columns (the raw table's own layout)."""
    return "value" in columns and "event_id" not in columns


def _rows(path: Path, mapping: EventMapping | None) -> Iterator[bytes]:
    """Event bytes of every row of a file, in file order."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        with path.open("rb") as lines:
            for line in lines:
                line = line.strip()
                if not line:
                    continue
                if mapping is None:
                    yield line
                else:
                    try:
                        yield _envelope(mapping, orjson.loads(line))
                    except orjson.JSONDecodeError:
                        yield line  # the contract check names it not_json
    elif suffix == ".parquet":
        parquet = pq.ParquetFile(path)
        if mapping is None and _is_message_layout(parquet.schema_arrow.names):
            # The simulator's layout: each row is a Kafka message; `value` holds its exact bytes.
            for batch in parquet.iter_batches(batch_size=10_000, columns=["value"]):
                for value in batch.column(0).to_pylist():
                    yield value or b""
            return
        for batch in parquet.iter_batches(batch_size=10_000):
            for row in batch.to_pylist():
                yield _envelope(mapping, row)
    elif suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            for record in csv.DictReader(handle):
                if mapping is None and "payload" not in record:
                    raise BackfillError(f"{path}: CSV without a payload column needs --mapping")
                if mapping is None:
                    record = {
                        **record,
                        "schema_version": int(record["schema_version"]),
                        "causation_id": record.get("causation_id") or None,
                    }  # type: ignore[dict-item]
                yield _envelope(mapping, record)
    else:
        raise BackfillError(
            f"{path}: unsupported file type {suffix!r}; use .jsonl, .parquet or .csv"
        )


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


def _backfill_file(
    raw: DeltaAppender, dead: DeltaAppender, path: Path, mapping: EventMapping | None
) -> tuple[int, int, int]:
    """Load one file; return (events loaded, dead letters, rows already loaded before)."""
    digest = _digest(path)
    app_id = f"acme-backfill/{digest}"
    partition = int(digest[:8], 16) & 0x7FFF_FFFF
    done = raw.transaction_versions([app_id]).get(app_id, 0)
    dead_done = dead.transaction_versions([app_id]).get(app_id, 0)
    loaded = rejected = 0
    rows, letters, index = RawRows(), DeadLetterRows(), -1
    received_at = datetime.now(UTC)
    for index, value in enumerate(_rows(path, mapping)):
        if index < done:
            continue
        try:
            rows.extend(BACKFILL_TOPIC, partition, [validate(value)], [index])
            loaded += 1
        except InvalidEvent as invalid:
            rejected += 1
            if index >= dead_done:
                letters.add(
                    topic=BACKFILL_TOPIC,
                    partition=partition,
                    offset=index,
                    key=path.name.encode(),
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
        extra={"file": str(path), "sha256": digest, "loaded": loaded, "dead_letters": rejected},
    )
    return loaded, rejected, done


def backfill_files(
    settings: Settings, files: list[Path], mapping: EventMapping | None
) -> list[str]:
    """Load each file into the raw table (bad rows into dead letters); return one report line per
    file. Re-running with the same file content adds nothing."""
    raw = DeltaAppender(RAW_EVENTS.path(settings.lake_root), RAW_EVENTS)
    dead = DeltaAppender(DEAD_LETTERS.path(settings.lake_root), DEAD_LETTERS)
    report = []
    for path in files:
        loaded, rejected, done = _backfill_file(raw, dead, path, mapping)
        report.append(
            f"{path}: {loaded} events loaded, {rejected} dead letters"
            + (f" ({done} rows were already loaded)" if done else "")
        )
    return report
