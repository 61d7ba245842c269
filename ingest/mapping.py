"""Mapping files: a declarative description of how rows of a foreign export become events.

A mapping file (YAML) lists `events:` entries; each makes one event per source row, or with
`group_by` one event per group of rows (e.g. an order built from its order-line rows). Values are
mapping nodes: literals, nested objects and lists, or one operator (`column`, `template`, `uuid5`,
`timestamp`, `add`/`subtract`/`multiply`/`divide`, `round`, `sum`/`min`/`max`/`first`,
`each_row`, `row_number`, `const`), optionally with `default` and `type`. The vocabulary is
documented in docs/decisions/backfill.md and in the annotated files in `ingest/mappings/`.

The whole file is checked when it is loaded: operators and their options, column lists, and every
payload field against the event's contract (unknown or missing fields fail there, not per row).
Numbers are `Decimal` from the YAML literal to the output (the loader reads YAML floats as
`Decimal`), so money is exact; a money field with more than two decimal places is an error unless
the mapping rounds it (`round`, ROUND_HALF_UP unless it says `mode: half_even`).
"""

from __future__ import annotations

import hashlib
import json
import string
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
import yaml

from acme.contracts import event_types
from acme.contracts.registry import registry

ENVELOPE_FIELDS: Final = (
    "event_id",
    "event_type",
    "schema_version",
    "event_time",
    "source_service",
    "correlation_id",
    "causation_id",
)
_ENVELOPE_KINDS: Final = {"schema_version": "integer", "event_time": "timestamp"}
_ROUNDING: Final = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
_CENT: Final = Decimal("0.01")
_TRUE: Final = frozenset({"true", "t", "yes", "y", "1"})
_FALSE: Final = frozenset({"false", "f", "no", "n", "0"})
ID_NAMESPACE: Final = uuid.UUID("6f1c7e2a-4d0b-5c1e-9a57-0b7f3c2d1e4a")
"""uuid5 namespace of ids derived by mappings: the same source row always gets the same id."""


class BackfillError(ValueError):
    """A backfill input or mapping is unusable; the message names the file and what to fix."""


@dataclass(frozen=True, slots=True)
class Row:
    """One source row: the file it came from, its 1-based number in that file (header excluded),
    and its values by column name."""

    file: str
    number: int
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Scope:
    """What a node is evaluated against: the rows of its group (one row when the entry has no
    `group_by`), and the current row inside `each_row` or an aggregate (None at group level)."""

    rows: Sequence[Row]
    row: Row | None


def _place(rows: Sequence[Row]) -> str:
    """Where rows are, for messages: `orders.csv: row 4` or `a.csv: rows 4, 5; b.csv: row 1`."""
    by_file: dict[str, list[str]] = {}
    for row in rows:
        by_file.setdefault(row.file, []).append(str(row.number))
    parts = []
    for file, numbers in by_file.items():
        shown = ", ".join(numbers[:5]) + (
            f" and {len(numbers) - 5} more" if len(numbers) > 5 else ""
        )
        parts.append(f"{file}: {'rows' if len(numbers) > 1 else 'row'} {shown}")
    return "; ".join(parts)


def _at(scope: Scope, where: str, message: str) -> BackfillError:
    """An error naming the file, row(s) and mapping field."""
    return BackfillError(f"{_place([scope.row] if scope.row else scope.rows)}: {where}: {message}")


def _cell(scope: Scope, row: Row, column: str, where: str) -> Any:
    if column not in row.values:
        raise _at(scope, where, f"the source has no column {column!r}")
    value = row.values[column]
    return None if value == "" else value


def _column(scope: Scope, column: str, where: str) -> Any:
    """A column's value in the current row or, at group level, the value every row of the group
    agrees on (a disagreement is an error: the mapping must say which row wins, e.g. `first`)."""
    if scope.row is not None:
        return _cell(scope, scope.row, column, where)
    first = scope.rows[0]
    value = _cell(scope, first, column, where)
    for row in scope.rows[1:]:
        other = _cell(scope, row, column, where)
        if other != value:
            raise _at(
                scope,
                where,
                f"column {column!r} is {value!r} on {_place([first])} but {other!r} on "
                f"{_place([row])}, in one group; take one row's with {{first: ...}}, or "
                f"aggregate with sum/min/max",
            )
    return value


def _decimal(scope: Scope, value: Any, where: str) -> Decimal | None:
    """A number as Decimal, exactly: text and integers as written; a float (e.g. from a Parquet
    double column) through its shortest repr, which is the decimal the exporter wrote."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise _at(scope, where, f"{value!r} is not a number")
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise _at(scope, where, f"{value!r} is not a number") from None
    if not number.is_finite():  # Decimal reads "NaN" and "Infinity"; no amount is either
        raise _at(scope, where, f"{value!r} is not a number")
    return number


class Node:
    """A compiled mapping node."""

    def __init__(self, where: str) -> None:
        self.where = where

    def evaluate(self, scope: Scope) -> Any:
        raise NotImplementedError


class Literal(Node):
    def __init__(self, where: str, value: Any) -> None:
        super().__init__(where)
        self.value = value

    def evaluate(self, scope: Scope) -> Any:
        return self.value


class Column(Node):
    def __init__(self, where: str, name: str) -> None:
        super().__init__(where)
        self.name = name

    def evaluate(self, scope: Scope) -> Any:
        return _column(scope, self.name, self.where)


class Template(Node):
    """Text built from columns; empty when any column it uses is empty (then `default` applies)."""

    def __init__(self, where: str, text: str, as_uuid: bool) -> None:
        super().__init__(where)
        self.text, self.as_uuid = text, as_uuid
        try:
            self.columns = [name for _, name, _, _ in string.Formatter().parse(text) if name]
        except ValueError as error:
            raise BackfillError(f"{where}: bad template {text!r}: {error}") from None

    def evaluate(self, scope: Scope) -> Any:
        values = {name: _column(scope, name, self.where) for name in self.columns}
        if any(value is None for value in values.values()):
            return None
        text = self.text.format_map(values)
        return str(uuid.uuid5(ID_NAMESPACE, text)) if self.as_uuid else text


class Timestamp(Node):
    """A point in time from text in one of the given strptime formats (ISO 8601 by default);
    without a zone in the text, `timezone` (default UTC) says where it was local time."""

    def __init__(self, where: str, source: Node, formats: list[str], zone: ZoneInfo | None):
        super().__init__(where)
        self.source, self.formats, self.zone = source, formats, zone

    def evaluate(self, scope: Scope) -> Any:
        value = self.source.evaluate(scope)
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):  # a Parquet date column
            value = datetime.combine(value, time())
        elif not isinstance(value, datetime):
            value = self._parse(scope, str(value).strip())
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.zone or UTC)
        return value.astimezone(UTC)

    def _parse(self, scope: Scope, text: str) -> datetime:
        if not self.formats:
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                raise _at(scope, self.where, f"{text!r} is not an ISO 8601 time") from None
        for pattern in self.formats:
            try:
                return datetime.strptime(text, pattern)
            except ValueError:
                continue
        raise _at(scope, self.where, f"{text!r} matches none of the formats {self.formats}")


class Arithmetic(Node):
    """add / subtract / multiply / divide over Decimals; empty in, empty out."""

    def __init__(self, where: str, operator: str, operands: list[Node]) -> None:
        super().__init__(where)
        self.operator, self.operands = operator, operands

    def evaluate(self, scope: Scope) -> Any:
        values = [_decimal(scope, operand.evaluate(scope), self.where) for operand in self.operands]
        if any(value is None for value in values):
            return None
        result: Decimal = values[0]  # type: ignore[assignment]
        for value in values[1:]:
            assert value is not None
            if self.operator == "add":
                result += value
            elif self.operator == "subtract":
                result -= value
            elif self.operator == "multiply":
                result *= value
            elif value == 0:
                raise _at(scope, self.where, "division by zero")
            else:
                result /= value
        return result


class Round(Node):
    def __init__(self, where: str, operand: Node, places: int, mode: str) -> None:
        super().__init__(where)
        self.operand, self.exponent, self.mode = operand, Decimal(1).scaleb(-places), mode

    def evaluate(self, scope: Scope) -> Any:
        value = _decimal(scope, self.operand.evaluate(scope), self.where)
        return None if value is None else value.quantize(self.exponent, rounding=self.mode)


class Aggregate(Node):
    """sum / min / max / first of a node over the rows of the group (empty values skipped)."""

    def __init__(self, where: str, kind: str, operand: Node) -> None:
        super().__init__(where)
        self.kind, self.operand = kind, operand

    def evaluate(self, scope: Scope) -> Any:
        values = [self.operand.evaluate(Scope(scope.rows, row)) for row in scope.rows]
        if self.kind == "first":
            return values[0]
        present = [value for value in values if value is not None]
        if not present:
            return None
        if all(isinstance(v, datetime) for v in present):
            return min(present) if self.kind == "min" else max(present)
        numbers = [_decimal(scope, v, self.where) or Decimal(0) for v in present]
        if self.kind == "sum":
            return sum(numbers, Decimal(0))
        return min(numbers) if self.kind == "min" else max(numbers)


class EachRow(Node):
    """A list with one item per row of the group, in file order (e.g. an order's lines)."""

    def __init__(self, where: str, item: Node) -> None:
        super().__init__(where)
        self.item = item

    def evaluate(self, scope: Scope) -> Any:
        return [self.item.evaluate(Scope(scope.rows, row)) for row in scope.rows]


class RowNumber(Node):
    """1-based position of the current row in its group."""

    def evaluate(self, scope: Scope) -> Any:
        if scope.row is None:
            raise _at(scope, self.where, "row_number is only meaningful inside each_row")
        return next(i for i, row in enumerate(scope.rows, 1) if row is scope.row)


class Object(Node):
    def __init__(self, where: str, fields: dict[str, Node]) -> None:
        super().__init__(where)
        self.fields = fields

    def evaluate(self, scope: Scope) -> Any:
        return {name: node.evaluate(scope) for name, node in self.fields.items()}


class Array(Node):
    def __init__(self, where: str, items: list[Node]) -> None:
        super().__init__(where)
        self.items = items

    def evaluate(self, scope: Scope) -> Any:
        return [item.evaluate(scope) for item in self.items]


class Finish(Node):
    """`default` for an empty value, then conversion to the field's type (money: a string with
    exactly two places; more places are an error, never a silent rounding)."""

    def __init__(self, where: str, inner: Node, default: Node | None, kind: str | None) -> None:
        super().__init__(where)
        self.inner, self.default, self.kind = inner, default, kind

    def evaluate(self, scope: Scope) -> Any:
        value = self.inner.evaluate(scope)
        if (value is None or value == "") and self.default is not None:
            value = self.default.evaluate(scope)
        if value is None or value == "" or self.kind is None:
            return None if value == "" else value
        return _CONVERT[self.kind](self, scope, value)

    def money(self, scope: Scope, value: Any) -> str:
        number = _decimal(scope, value, self.where)
        assert number is not None
        cents = number.quantize(_CENT)
        if cents != number:
            raise _at(
                scope,
                self.where,
                f"{number} has more than two decimal places; round it with {{round: ...}}",
            )
        return str(cents)

    def integer(self, scope: Scope, value: Any) -> int:
        number = _decimal(scope, value, self.where)
        assert number is not None
        if number != number.to_integral_value():
            raise _at(scope, self.where, f"{value!r} is not a whole number")
        return int(number)

    def number(self, scope: Scope, value: Any) -> float:
        return float(_decimal(scope, value, self.where))  # type: ignore[arg-type]

    def boolean(self, scope: Scope, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise _at(scope, self.where, f"{value!r} is not a yes/no value")

    def text(self, scope: Scope, value: Any) -> str:
        if isinstance(value, datetime):
            return _iso(value)
        return format(value, "f") if isinstance(value, Decimal) else str(value)

    def timestamp(self, scope: Scope, value: Any) -> str:
        return _iso(value) if isinstance(value, datetime) else str(value)


_CONVERT: Final[dict[str, Callable[[Finish, Scope, Any], Any]]] = {
    "money": Finish.money,
    "integer": Finish.integer,
    "number": Finish.number,
    "boolean": Finish.boolean,
    "string": Finish.text,
    "timestamp": Finish.timestamp,
}


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# Operators, with the options each takes besides the shared `default` and `type`.
_OPERATORS: Final[dict[str, frozenset[str]]] = {
    "column": frozenset(),
    "const": frozenset(),
    "template": frozenset(),
    "uuid5": frozenset(),
    "timestamp": frozenset({"format", "timezone"}),
    "add": frozenset(),
    "subtract": frozenset(),
    "multiply": frozenset(),
    "divide": frozenset(),
    "round": frozenset({"places", "mode"}),
    "sum": frozenset(),
    "min": frozenset(),
    "max": frozenset(),
    "first": frozenset(),
    "each_row": frozenset(),
    "row_number": frozenset(),
}
_SHARED_OPTIONS: Final = frozenset({"default", "type"})


def _schema_kind(schema: dict[str, Any] | None) -> str | None:
    """The conversion a contract field asks for: money for decimal strings, else its JSON type."""
    if not schema:
        return None
    declared = schema.get("type")
    types = [declared] if isinstance(declared, str) else list(declared or ())
    if "string" in types:
        return "money" if schema.get("format") == "decimal" else "string"
    return next((t for t in ("integer", "number", "boolean") if t in types), None)


def _operand(spec: Any, where: str) -> Node:
    """An operand of arithmetic or an aggregate: a bare string names a column, a number is a
    literal, anything else is a node."""
    if isinstance(spec, str):
        return Column(where, spec)
    if isinstance(spec, (int, Decimal)) and not isinstance(spec, bool):
        return Literal(where, spec)
    return _compile(spec, where, None)


def _operator(name: str, spec: dict[str, Any], where: str) -> Node:
    argument = spec[name]
    if name == "column":
        if not isinstance(argument, str):
            raise BackfillError(f"{where}: column takes a column name")
        return Column(where, argument)
    if name == "const":
        return Literal(where, argument)
    if name in ("template", "uuid5"):
        if not isinstance(argument, str):
            raise BackfillError(f"{where}: {name} takes a text with {{column}} fields")
        return Template(where, argument, as_uuid=name == "uuid5")
    if name == "timestamp":
        formats = spec.get("format", [])
        formats = [formats] if isinstance(formats, str) else formats
        if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
            raise BackfillError(f"{where}: format is a strptime format or a list of them")
        zone = None
        if "timezone" in spec:
            try:
                zone = ZoneInfo(str(spec["timezone"]))
            except (ZoneInfoNotFoundError, ValueError):
                raise BackfillError(f"{where}: unknown timezone {spec['timezone']!r}") from None
        return Timestamp(where, _operand(argument, f"{where}.timestamp"), formats, zone)
    if name in ("add", "subtract", "multiply", "divide"):
        binary = name in ("subtract", "divide")
        if not isinstance(argument, list) or len(argument) < 2 or (binary and len(argument) != 2):
            count = "two operands" if binary else "a list of two or more operands"
            raise BackfillError(f"{where}: {name} takes {count}")
        operands = [_operand(item, f"{where}.{name}[{i}]") for i, item in enumerate(argument)]
        return Arithmetic(where, name, operands)
    if name == "round":
        places, mode = spec.get("places", 2), spec.get("mode", "half_up")
        if not isinstance(places, int) or isinstance(places, bool) or not 0 <= places <= 6:
            raise BackfillError(f"{where}: places is a whole number from 0 to 6")
        if mode not in _ROUNDING:
            raise BackfillError(f"{where}: mode is one of {', '.join(_ROUNDING)}")
        return Round(where, _operand(argument, f"{where}.round"), places, _ROUNDING[mode])
    if name in ("sum", "min", "max", "first"):
        return Aggregate(where, name, _operand(argument, f"{where}.{name}"))
    if name == "row_number":
        return RowNumber(where)
    raise AssertionError(name)  # each_row is compiled by _compile, with the items' schema


def _compile(spec: Any, where: str, schema: dict[str, Any] | None) -> Node:
    """Compile a mapping node, checking it against the contract field `schema` when known."""
    if isinstance(spec, list):
        items = (schema or {}).get("items")
        return Array(where, [_compile(s, f"{where}[{i}]", items) for i, s in enumerate(spec)])
    if not isinstance(spec, dict):
        return Finish(where, Literal(where, spec), None, _schema_kind(schema))
    operators = _OPERATORS.keys() & spec.keys()
    if not operators:
        return _object(spec, where, schema)
    if len(operators) > 1:
        raise BackfillError(f"{where}: one operator per node, found {', '.join(sorted(operators))}")
    (name,) = operators
    unknown = spec.keys() - {name} - _OPERATORS[name] - _SHARED_OPTIONS
    if unknown:
        raise BackfillError(f"{where}: {name} does not take {', '.join(sorted(unknown))}")
    if name == "each_row":
        items = (schema or {}).get("items")
        node: Node = EachRow(where, _compile(spec[name], f"{where}[]", items))
    else:
        node = _operator(name, spec, where)
    kind = spec.get("type", _schema_kind(schema))
    if kind is not None and kind not in _CONVERT:
        raise BackfillError(f"{where}: type is one of {', '.join(_CONVERT)}")
    default = _compile(spec["default"], f"{where}.default", None) if "default" in spec else None
    return Finish(where, node, default, kind)


def _object(spec: dict[str, Any], where: str, schema: dict[str, Any] | None) -> Node:
    properties: dict[str, Any] | None = (schema or {}).get("properties")
    if properties is not None:
        unknown = sorted(spec.keys() - properties.keys())
        if unknown:
            raise BackfillError(f"{where}: the contract has no field {', '.join(unknown)}")
        missing = sorted(set((schema or {}).get("required", ())) - spec.keys())
        if missing:
            raise BackfillError(f"{where}: the contract requires {', '.join(missing)}")
    return Object(
        where,
        {
            str(key): _compile(value, f"{where}.{key}", (properties or {}).get(key))
            for key, value in spec.items()
        },
    )


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
            key = tuple(_cell(scope, row, c, f"{self.name}.group_by") for c in self.group_by)
            if any(part is None for part in key):
                raise _at(scope, f"{self.name}.group_by", "a group_by column is empty")
            groups.setdefault(key, []).append(row)
        for members in groups.values():
            yield Scope(members, None)

    def event(self, scope: Scope) -> MappedEvent:
        event = {field: node.evaluate(scope) for field, node in self.envelope.items()}
        event["payload"] = self.payload.evaluate(scope)
        origin = f"{_place(scope.rows)}: {self.name}"
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
        field: _compile(spec.get(field), f"{name}.{field}", None)
        for field in ENVELOPE_FIELDS
        if field in spec
    }
    for field, kind in _ENVELOPE_KINDS.items():
        envelope[field] = Finish(f"{name}.{field}", envelope[field], None, kind)
    payload = _compile(spec["payload"], f"{name}.payload", contract.document)
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
