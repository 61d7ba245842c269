"""From a mapping file's YAML values to nodes: operators and their options are checked, and
each payload field gets the conversion its contract asks for."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingest.mapping.nodes import (
    CONVERT,
    ROUNDING,
    Aggregate,
    Arithmetic,
    Array,
    BackfillError,
    Column,
    EachRow,
    Finish,
    Literal,
    Node,
    Object,
    Round,
    RowNumber,
    Template,
    Timestamp,
)

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
    return compile_node(spec, where, None)


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
        if mode not in ROUNDING:
            raise BackfillError(f"{where}: mode is one of {', '.join(ROUNDING)}")
        return Round(where, _operand(argument, f"{where}.round"), places, ROUNDING[mode])
    if name in ("sum", "min", "max", "first"):
        return Aggregate(where, name, _operand(argument, f"{where}.{name}"))
    if name == "row_number":
        return RowNumber(where)
    raise AssertionError(name)  # each_row is compiled by compile_node, with the items' schema


def compile_node(spec: Any, where: str, schema: dict[str, Any] | None) -> Node:
    """Compile a mapping node, checking it against the contract field `schema` when known."""
    if isinstance(spec, list):
        items = (schema or {}).get("items")
        return Array(where, [compile_node(s, f"{where}[{i}]", items) for i, s in enumerate(spec)])
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
        node: Node = EachRow(where, compile_node(spec[name], f"{where}[]", items))
    else:
        node = _operator(name, spec, where)
    kind = spec.get("type", _schema_kind(schema))
    if kind is not None and kind not in CONVERT:
        raise BackfillError(f"{where}: type is one of {', '.join(CONVERT)}")
    default = compile_node(spec["default"], f"{where}.default", None) if "default" in spec else None
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
            str(key): compile_node(value, f"{where}.{key}", (properties or {}).get(key))
            for key, value in spec.items()
        },
    )
