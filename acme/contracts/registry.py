"""The schema registry: versioned JSON Schema files under `acme/contracts/schemas/`.

Layout: `schemas/envelope.v1.json` describes the envelope every event shares, and
`schemas/<context>/<EventType>.v<N>.json` describes the payload of one event type at one version.
The files are the single source of truth: validation, PII tags and the compatibility check are all
derived from them at import time (see docs/decisions/event-contracts.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from acme.contexts import BOUNDED_CONTEXTS

SCHEMA_ROOT = Path(__file__).parent / "schemas"
ENVELOPE_FILE = SCHEMA_ROOT / "envelope.v1.json"
_FILE_NAME = re.compile(r"^(?P<event_type>[A-Z][A-Za-z0-9]+)\.v(?P<version>[1-9][0-9]*)\.json$")


class RegistryError(ValueError):
    """A schema file is malformed or misplaced; the message names the file and what to fix."""


@dataclass(frozen=True)
class EventSchema:
    """One event type at one version, as read from its registry file."""

    context: str
    event_type: str
    version: int
    aggregate_id: str
    document: dict[str, Any]
    path: Path

    @property
    def properties(self) -> dict[str, dict[str, Any]]:
        props: dict[str, dict[str, Any]] = self.document["properties"]
        return props

    @property
    def required(self) -> frozenset[str]:
        return frozenset(self.document.get("required", ()))


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RegistryError(f"{path}: cannot read schema: {error}") from None
    if not isinstance(document, dict):
        raise RegistryError(f"{path}: a schema file must hold one JSON object")
    return document


def load_schemas(root: Path = SCHEMA_ROOT) -> dict[tuple[str, int], EventSchema]:
    """Every payload schema under `root`, keyed by (event_type, version)."""
    schemas: dict[tuple[str, int], EventSchema] = {}
    for path in sorted(root.glob("*/*.json")):
        context = path.parent.name
        match = _FILE_NAME.match(path.name)
        if context not in BOUNDED_CONTEXTS or match is None:
            raise RegistryError(
                f"{path}: expected schemas/<bounded context>/<EventType>.v<N>.json with a context "
                f"from acme.contexts.BOUNDED_CONTEXTS"
            )
        event_type, version = match["event_type"], int(match["version"])
        document = _read(path)
        declared = (
            document.get("x-context"),
            document.get("x-event-type"),
            document.get("x-schema-version"),
        )
        if declared != (context, event_type, version):
            raise RegistryError(
                f"{path}: x-context/x-event-type/x-schema-version say {declared}, the file's place "
                f"says {(context, event_type, version)}"
            )
        if document.get("type") != "object" or not isinstance(document.get("properties"), dict):
            raise RegistryError(f"{path}: a payload schema must be an object with properties")
        aggregate_id = document.get("x-aggregate-id")
        if not isinstance(aggregate_id, str) or aggregate_id not in document["properties"]:
            raise RegistryError(f"{path}: x-aggregate-id must name one of the payload's fields")
        if (event_type, version) in schemas:
            raise RegistryError(f"{path}: {event_type} v{version} is defined twice")
        schemas[(event_type, version)] = EventSchema(
            context, event_type, version, aggregate_id, document, path
        )
    for event_type, version in schemas:
        if version > 1 and (event_type, version - 1) not in schemas:
            raise RegistryError(f"{event_type} v{version} exists but v{version - 1} does not")
    owners: dict[str, str] = {}
    for schema in schemas.values():
        owner = owners.setdefault(schema.event_type, schema.context)
        if owner != schema.context:
            raise RegistryError(
                f"{schema.event_type} is defined in both {owner} and {schema.context}"
            )
    return schemas


@cache
def registry() -> dict[tuple[str, int], EventSchema]:
    """The committed registry, read once per process."""
    return load_schemas()


@cache
def envelope_schema() -> dict[str, Any]:
    """The envelope schema document."""
    return _read(ENVELOPE_FILE)


def event_types() -> dict[str, str]:
    """Every registered event type with the bounded context that owns it."""
    return {schema.event_type: schema.context for schema in registry().values()}


def latest_version(event_type: str) -> int:
    """Highest registered schema version of `event_type`."""
    versions = [version for (name, version) in registry() if name == event_type]
    if not versions:
        raise KeyError(f"unknown event type {event_type!r}")
    return max(versions)


def pii_fields(event_type: str) -> set[str]:
    """Payload fields tagged `"x-pii": true` in any version of `event_type` (dotted paths for
    fields inside nested objects), so masking covers every version the lake may hold."""
    found: set[str] = set()
    schemas = [s for (name, _), s in registry().items() if name == event_type]
    if not schemas:
        raise KeyError(f"unknown event type {event_type!r}")
    for schema in schemas:
        found |= _pii_in(schema.properties, prefix="")
    return found


def _pii_in(properties: dict[str, dict[str, Any]], prefix: str) -> set[str]:
    found: set[str] = set()
    for name, node in properties.items():
        if node.get("x-pii") is True:
            found.add(prefix + name)
        items = node.get("items")
        if isinstance(items, dict) and isinstance(items.get("properties"), dict):
            found |= _pii_in(items["properties"], prefix=f"{prefix}{name}.")
        if isinstance(node.get("properties"), dict):
            found |= _pii_in(node["properties"], prefix=f"{prefix}{name}.")
    return found
