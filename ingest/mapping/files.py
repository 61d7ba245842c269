"""Mapping files: entries (one event per row or per group), loading and checking a file."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import orjson
import yaml

from acme.contracts import event_types
from acme.contracts.registry import registry
from ingest.mapping.compiler import compile_node
from ingest.mapping.nodes import (
    BackfillError,
    Finish,
    Node,
    Row,
    Scope,
    cell,
    error_at,
    place,
)

ENVELOPE_FIELDS: Final = (
    "event_id",
    "event_type",
    "schema_version",
    "event_time",
    "source_service",
    "correlation_id",
    "causation_id",
)
ENVELOPE_KINDS: Final = {"schema_version": "integer", "event_time": "timestamp"}


@dataclass(frozen=True, slots=True)
class MappedEvent:
    """One event a mapping made: its bytes and id, where it came from, and whether an event of
    the same id already in the raw table wins (`if_loaded: keep`) or must be identical."""

    value: bytes
    event_id: Any
    origin: str
    keep_loaded: bool


@dataclass(frozen=True)
class Entry:
    """One `events:` entry: the event it makes per row, or per group of rows."""

    name: str
    group_by: tuple[str, ...]
    keep_loaded: bool
    envelope: dict[str, Node]
    payload: Node

    def groups(self, rows: Sequence[Row]) -> Iterator[Scope]:
        """One scope per event: each row alone, or the groups in order of their first row."""
        if not self.group_by:
            for row in rows:
                yield Scope((row,), row)
            return
        groups: dict[tuple[Any, ...], list[Row]] = {}
        for row in rows:
            scope = Scope((row,), row)
            key = tuple(cell(scope, row, c, f"{self.name}.group_by") for c in self.group_by)
            if any(part is None for part in key):
                raise error_at(scope, f"{self.name}.group_by", "a group_by column is empty")
            groups.setdefault(key, []).append(row)
        for members in groups.values():
            yield Scope(members, None)

    def event(self, scope: Scope) -> MappedEvent:
        event = {field: node.evaluate(scope) for field, node in self.envelope.items()}
        event["payload"] = self.payload.evaluate(scope)
        origin = f"{place(scope.rows)}: {self.name}"
        return MappedEvent(orjson.dumps(event), event["event_id"], origin, self.keep_loaded)


@dataclass(frozen=True)
class EventMapping:
    """A loaded mapping file: its entries and a digest of its meaning (comments and layout
    excluded), which names the backfill source together with the files' digests."""

    path: Path
    entries: tuple[Entry, ...]
    digest: str

    def events(self, rows: Sequence[Row]) -> Iterator[MappedEvent]:
        """The events of every entry, in entry order, then row or group order."""
        for entry in self.entries:
            for scope in entry.groups(rows):
                yield entry.event(scope)


class _DecimalLoader(yaml.SafeLoader):
    """YAML with every float read as Decimal, so `0.07` in a mapping is exactly 0.07."""


def _decimal_scalar(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is not a decimal number", node.start_mark
        ) from None


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _decimal_scalar)


def _entry(spec: Any, where: str) -> Entry:
    if not isinstance(spec, dict):
        raise BackfillError(f"{where}: an entry is a YAML object")
    missing = [f for f in (*ENVELOPE_FIELDS[:-1], "payload") if f not in spec]
    if missing:
        raise BackfillError(f"{where}: mapping lacks {', '.join(missing)}")
    unknown = sorted(spec.keys() - {*ENVELOPE_FIELDS, "payload", "group_by", "if_loaded"})
    if unknown:
        raise BackfillError(f"{where}: unknown key {', '.join(unknown)}")
    event_type, version = spec["event_type"], spec["schema_version"]
    contract = registry().get((event_type, version)) if isinstance(event_type, str) else None
    if contract is None:
        raise BackfillError(
            f"{where}: event_type and schema_version must name a contract (literals), "
            f"got {event_type!r} v{version!r}"
        )
    source = spec["source_service"]
    if isinstance(source, str) and source != event_types()[event_type]:
        raise BackfillError(f"{where}: {event_type} comes from {event_types()[event_type]!r}")
    group_by = spec.get("group_by", [])
    if not isinstance(group_by, list) or not all(isinstance(c, str) for c in group_by):
        raise BackfillError(f"{where}: group_by is a list of column names")
    if_loaded = spec.get("if_loaded", "compare")
    if if_loaded not in ("compare", "keep"):
        raise BackfillError(f"{where}: if_loaded is compare or keep")
    name = f"{where} ({event_type})"
    envelope = {
        field: compile_node(spec.get(field), f"{name}.{field}", None)
        for field in ENVELOPE_FIELDS
        if field in spec
    }
    for field, kind in ENVELOPE_KINDS.items():
        envelope[field] = Finish(f"{name}.{field}", envelope[field], None, kind)
    payload = compile_node(spec["payload"], f"{name}.payload", contract.document)
    return Entry(name, tuple(group_by), if_loaded == "keep", envelope, payload)


def load_mapping(path: Path) -> EventMapping:
    """Read and check a YAML mapping file; a bad one fails here, naming the entry and field."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_DecimalLoader)
    except (OSError, yaml.YAMLError) as error:
        raise BackfillError(f"{path}: cannot read mapping: {error}") from None
    if not isinstance(document, dict):
        raise BackfillError(f"{path}: a mapping is a YAML object")
    # The original layout (one event per row, envelope fields at the top) is one entry.
    specs = document.get("events", [document])
    if not isinstance(specs, list) or not specs:
        raise BackfillError(f"{path}: events is a non-empty list of entries")
    try:
        entries = tuple(_entry(spec, f"events[{i}]") for i, spec in enumerate(specs))
    except BackfillError as error:
        raise BackfillError(f"{path}: {error}") from None
    meaning = json.dumps(document, sort_keys=True, default=str).encode()
    return EventMapping(path, entries, hashlib.sha256(meaning).hexdigest())
