"""Keep erased customers erased: events that still name one (late events in Kafka, a replayed
export) are dropped at ingest instead of landing in the lake again.

The erasures table holds salted keys of each erased subject's identifiers, never the values; an
event is dropped when the key of its correlation id, causation id, or payload `customer_id`,
`anonymous_id` or `email` is among them. With no erasure recorded the check costs one dict test.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Final

import orjson
from deltalake import DeltaTable

from acme.contracts import ValidatedEvent
from acme.lake_layout import lake_path

# Payload fields whose value identifies a person (and so may name an erased one).
IDENTIFYING_FIELDS: Final = ("customer_id", "anonymous_id", "email")
# How often a running ingester looks for new erasures.
REFRESH_SECONDS: Final = 10.0


def identifier_key(salt: str, value: str) -> str:
    """The salted hash an erased identifier is remembered by."""
    return hashlib.sha256(f"{salt}:erased:{value.lower()}".encode()).hexdigest()


class Suppression:
    """The erased subjects' identifier keys, re-read when the erasures table changes."""

    def __init__(self, lake_root: Path, salt: str) -> None:
        self.path = lake_path(lake_root, "erasures")
        self.salt = salt
        self.keys: frozenset[str] = frozenset()
        self._version: int | None = None
        self._checked_at = float("-inf")
        self.refresh()

    def refresh(self) -> None:
        """Re-read the keys if the erasures table has a new version (at most every 10 s)."""
        now = time.monotonic()
        if now - self._checked_at < REFRESH_SECONDS:
            return
        self._checked_at = now
        if not (self.path / "_delta_log").exists():
            return
        table = DeltaTable(str(self.path))
        if table.version() == self._version:
            return
        self._version = table.version()
        keys = table.to_pyarrow_table(columns=["identifier_keys"])["identifier_keys"]
        self.keys = frozenset(key for row in keys.to_pylist() for key in row or ())

    def drops(self, event: ValidatedEvent) -> bool:
        """True when the event names an erased subject."""
        if not self.keys:
            return False
        payload = orjson.loads(bytes(event.payload_json))
        values = [event.correlation_id, event.causation_id]
        if isinstance(payload, dict):
            values += [payload.get(name) for name in IDENTIFYING_FIELDS]
        return any(
            identifier_key(self.salt, value) in self.keys
            for value in values
            if isinstance(value, str) and value
        )
