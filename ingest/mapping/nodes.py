"""Mapping nodes: the values a mapping computes from source rows (columns, templates, dates,
exact arithmetic, aggregates over a group), and the errors that name file, row and field."""

from __future__ import annotations

import string
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final
from zoneinfo import ZoneInfo

ROUNDING: Final = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}
CENT: Final = Decimal("0.01")
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


def place(rows: Sequence[Row]) -> str:
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


def error_at(scope: Scope, where: str, message: str) -> BackfillError:
    """An error naming the file, row(s) and mapping field."""
    return BackfillError(f"{place([scope.row] if scope.row else scope.rows)}: {where}: {message}")


def cell(scope: Scope, row: Row, column: str, where: str) -> Any:
    if column not in row.values:
        raise error_at(scope, where, f"the source has no column {column!r}")
    value = row.values[column]
    return None if value == "" else value


def _column(scope: Scope, column: str, where: str) -> Any:
    """A column's value in the current row or, at group level, the value every row of the group
    agrees on (a disagreement is an error: the mapping must say which row wins, e.g. `first`)."""
    if scope.row is not None:
        return cell(scope, scope.row, column, where)
    first = scope.rows[0]
    value = cell(scope, first, column, where)
    for row in scope.rows[1:]:
        other = cell(scope, row, column, where)
        if other != value:
            raise error_at(
                scope,
                where,
                f"column {column!r} is {value!r} on {place([first])} but {other!r} on "
                f"{place([row])}, in one group; take one row's with {{first: ...}}, or "
                f"aggregate with sum/min/max",
            )
    return value


def _decimal(scope: Scope, value: Any, where: str) -> Decimal | None:
    """A number as Decimal, exactly: text and integers as written; a float (e.g. from a Parquet
    double column) through its shortest repr, which is the decimal the exporter wrote."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise error_at(scope, where, f"{value!r} is not a number")
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        raise error_at(scope, where, f"{value!r} is not a number") from None
    if not number.is_finite():  # Decimal reads "NaN" and "Infinity"; no amount is either
        raise error_at(scope, where, f"{value!r} is not a number")
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
                raise error_at(scope, self.where, f"{text!r} is not an ISO 8601 time") from None
        for pattern in self.formats:
            try:
                return datetime.strptime(text, pattern)
            except ValueError:
                continue
        raise error_at(scope, self.where, f"{text!r} matches none of the formats {self.formats}")


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
                raise error_at(scope, self.where, "division by zero")
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
            raise error_at(scope, self.where, "row_number is only meaningful inside each_row")
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
        return CONVERT[self.kind](self, scope, value)

    def money(self, scope: Scope, value: Any) -> str:
        number = _decimal(scope, value, self.where)
        assert number is not None
        cents = number.quantize(CENT)
        if cents != number:
            raise error_at(
                scope,
                self.where,
                f"{number} has more than two decimal places; round it with {{round: ...}}",
            )
        return str(cents)

    def integer(self, scope: Scope, value: Any) -> int:
        number = _decimal(scope, value, self.where)
        assert number is not None
        if number != number.to_integral_value():
            raise error_at(scope, self.where, f"{value!r} is not a whole number")
        return int(number)

    def number(self, scope: Scope, value: Any) -> float:
        return float(_decimal(scope, value, self.where))  # type: ignore[arg-type]

    def boolean(self, scope: Scope, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise error_at(scope, self.where, f"{value!r} is not a yes/no value")

    def text(self, scope: Scope, value: Any) -> str:
        if isinstance(value, datetime):
            return iso(value)
        return format(value, "f") if isinstance(value, Decimal) else str(value)

    def timestamp(self, scope: Scope, value: Any) -> str:
        return iso(value) if isinstance(value, datetime) else str(value)


CONVERT: Final[dict[str, Callable[[Finish, Scope, Any], Any]]] = {
    "money": Finish.money,
    "integer": Finish.integer,
    "number": Finish.number,
    "boolean": Finish.boolean,
    "string": Finish.text,
    "timestamp": Finish.timestamp,
}


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
