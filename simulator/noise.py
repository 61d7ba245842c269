"""Bad-event mode and producer retries: malformed copies of real events, and exact re-deliveries.

Noise uses its own RNG stream, so turning it on or off never changes the valid events of a run.
Each bad kind is named after the validation reason it must produce (acme.contracts.REASONS).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

import orjson

from acme.contexts import BOUNDED_CONTEXTS
from acme.contracts import MAX_EVENT_BYTES
from acme.contracts.registry import registry
from simulator.ids import Ids

Mutation = Callable[[dict[str, Any], random.Random], bytes]


def _dump(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


def _oversized(event: dict[str, Any], _: random.Random) -> bytes:
    event["payload"]["debug_dump"] = "x" * (MAX_EVENT_BYTES + 1024)
    return _dump(event)


def _invalid_utf8(event: dict[str, Any], _: random.Random) -> bytes:
    raw = _dump(event)
    at = raw.index(b'"event_type":"') + len(b'"event_type":"') + 1
    return raw[:at] + b"\xff\xfe" + raw[at:]


def _not_json(event: dict[str, Any], rng: random.Random) -> bytes:
    raw = _dump(event)
    return raw[: rng.randint(10, len(raw) - 10)]


def _not_an_object(event: dict[str, Any], _: random.Random) -> bytes:
    return _dump([event])  # type: ignore[arg-type]


def _missing_field(event: dict[str, Any], rng: random.Random) -> bytes:
    if rng.random() < 0.5:
        del event[rng.choice(("event_id", "event_type", "event_time", "payload"))]
    else:
        required = _schema(event)["required"]
        del event["payload"][rng.choice(required)]
    return _dump(event)


def _unknown_field(event: dict[str, Any], _: random.Random) -> bytes:
    event["payload"]["unexpected_field"] = "surprise"
    return _dump(event)


def _wrong_type(event: dict[str, Any], rng: random.Random) -> bytes:
    if rng.random() < 0.5:
        event["schema_version"] = str(event["schema_version"])
    else:
        event["event_time"] = 1_700_000_000
    return _dump(event)


def _invalid_uuid(event: dict[str, Any], rng: random.Random) -> bytes:
    event[rng.choice(("event_id", "correlation_id"))] = f"evt-{rng.getrandbits(40):x}"
    return _dump(event)


def _invalid_money(event: dict[str, Any], rng: random.Random) -> bytes:
    field = rng.choice(_fields_with(event, lambda n: n.get("format") == "decimal"))
    value = event["payload"][field]
    event["payload"][field] = rng.choice((f"-{value}", value[:-1], f"{value}0", "12,50"))
    return _dump(event)


def _invalid_enum(event: dict[str, Any], rng: random.Random) -> bytes:
    field = rng.choice(_fields_with(event, lambda n: "enum" in n))
    event["payload"][field] = "not_a_known_value"
    return _dump(event)


def _unknown_event_type(event: dict[str, Any], rng: random.Random) -> bytes:
    event["event_type"] = rng.choice(("OrderTeleported", "CartExploded", "Heartbeat"))
    return _dump(event)


def _unknown_schema_version(event: dict[str, Any], rng: random.Random) -> bytes:
    event["schema_version"] = rng.randint(7, 99)
    return _dump(event)


def _impossible_timestamp(event: dict[str, Any], rng: random.Random) -> bytes:
    event["event_time"] = rng.choice(
        (
            "2026-02-30T10:00:00.000Z",
            "2026-13-01T00:00:00.000Z",
            "2026-06-01T25:61:00.000Z",
            "1899-12-31T23:59:59.000Z",
            "2999-01-01T00:00:00.000Z",
        )
    )
    return _dump(event)


def _timestamp_not_utc(event: dict[str, Any], rng: random.Random) -> bytes:
    event["event_time"] = event["event_time"][:-1] + rng.choice(("+02:00", "-05:00", ""))
    return _dump(event)


def _negative_quantity(event: dict[str, Any], rng: random.Random) -> bytes:
    payload = event["payload"]
    if "lines" in payload:
        line = rng.choice(payload["lines"])
        line["quantity"] = -line["quantity"]
    else:
        payload[rng.choice(_quantity_fields(event))] = -rng.randint(1, 5)
    return _dump(event)


def _context_mismatch(event: dict[str, Any], rng: random.Random) -> bytes:
    event["source_service"] = rng.choice(
        [c for c in BOUNDED_CONTEXTS if c != event["source_service"]]
    )
    return _dump(event)


def _schema(event: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = registry()[(event["event_type"], event["schema_version"])].document
    return document


def _fields_with(event: dict[str, Any], test: Callable[[dict[str, Any]], bool]) -> list[str]:
    properties = _schema(event)["properties"]
    return [
        f for f, node in properties.items() if test(node) and event["payload"].get(f) is not None
    ]


def _quantity_fields(event: dict[str, Any]) -> list[str]:
    """Quantity fields with a lower bound (a signed delta may legitimately be negative)."""
    return [f for f in _fields_with(event, lambda n: "minimum" in n) if "quantity" in f]


def _has_quantity(event: dict[str, Any]) -> bool:
    return "lines" in event["payload"] or bool(_quantity_fields(event))


MUTATIONS: dict[str, Mutation] = {
    "oversized": _oversized,
    "invalid_utf8": _invalid_utf8,
    "not_json": _not_json,
    "not_an_object": _not_an_object,
    "missing_field": _missing_field,
    "unknown_field": _unknown_field,
    "wrong_type": _wrong_type,
    "invalid_uuid": _invalid_uuid,
    "invalid_money": _invalid_money,
    "invalid_enum": _invalid_enum,
    "unknown_event_type": _unknown_event_type,
    "unknown_schema_version": _unknown_schema_version,
    "impossible_timestamp": _impossible_timestamp,
    "timestamp_not_utc": _timestamp_not_utc,
    "negative_quantity": _negative_quantity,
    "context_mismatch": _context_mismatch,
}
BAD_KINDS = tuple(MUTATIONS)

# Kinds that need a particular field in the event they corrupt.
_APPLICABLE: dict[str, Callable[[dict[str, Any]], bool]] = {
    "invalid_money": lambda e: bool(_fields_with(e, lambda n: n.get("format") == "decimal")),
    "invalid_enum": lambda e: bool(_fields_with(e, lambda n: "enum" in n)),
    "negative_quantity": _has_quantity,
}


class Noise:
    """Decides, per valid event, whether a malformed copy and/or a duplicate delivery follow it."""

    def __init__(self, seed: int, bad_share: float, duplicate_share: float) -> None:
        self.rng = random.Random(seed ^ 0x5EED_0BAD)
        self.ids = Ids(self.rng)
        self.bad_share = bad_share
        self.duplicate_share = duplicate_share

    def wants_bad(self) -> bool:
        return self.bad_share > 0 and self.rng.random() < self.bad_share

    def wants_duplicate(self) -> int:
        """0 for no duplicate, else how many events later the duplicate is delivered."""
        if self.duplicate_share > 0 and self.rng.random() < self.duplicate_share:
            return self.rng.randint(1, 50)
        return 0

    def corrupt(self, event: dict[str, Any]) -> tuple[str, bytes]:
        """A malformed copy of `event` (with a fresh event_id) and the kind of damage done."""
        candidates = [k for k in BAD_KINDS if k not in _APPLICABLE or _APPLICABLE[k](event)]
        kind = self.rng.choice(candidates)
        broken = copy.deepcopy(event)
        broken["event_id"] = self.ids.uuid()
        return kind, MUTATIONS[kind](broken, self.rng)
