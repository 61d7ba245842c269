"""Event contracts: the schema registry (`schemas/`), fast validation and the evolution check.

Public interface (other components code against these names; see docs/decisions/event-contracts.md):
`validate`, `InvalidEvent`, `ValidatedEvent`, `REASONS`, `MAX_EVENT_BYTES`, `pii_fields`,
`event_types`, `latest_version`.
"""

from acme.contracts.registry import event_types, latest_version, pii_fields
from acme.contracts.validation import (
    MAX_EVENT_BYTES,
    REASONS,
    InvalidEvent,
    ValidatedEvent,
    validate,
)

__all__ = [
    "MAX_EVENT_BYTES",
    "REASONS",
    "InvalidEvent",
    "ValidatedEvent",
    "event_types",
    "latest_version",
    "pii_fields",
    "validate",
]
