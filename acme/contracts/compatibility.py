"""Schema evolution rules: a new version of an event type may only add optional fields.

Two comparisons run (both in `make test` and in `acme contracts check`):
1. every version N against version N-1 of the same type in the registry;
2. every committed schema file against its state in git HEAD: a published version is immutable,
   only annotations (description, title, x-* tags) may change in place.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from acme.contracts.registry import SCHEMA_ROOT, EventSchema, load_schemas

# Keywords that document a field without changing what the wire format accepts.
_ANNOTATIONS = frozenset({"description", "title", "$schema", "$id"})


def _shape(node: dict[str, Any]) -> dict[str, Any]:
    """The part of a schema node that decides which values are accepted (nested objects excluded:
    they are compared field by field so the message can name the field)."""
    return {
        key: value
        for key, value in node.items()
        if key not in _ANNOTATIONS
        and not key.startswith("x-")
        and key not in {"properties", "required", "items"}
    }


def compare(old: dict[str, Any], new: dict[str, Any], path: str = "$") -> list[str]:
    """Breaking differences between an old and a new schema node (empty list: compatible)."""
    problems: list[str] = []
    if _shape(old) != _shape(new):
        problems.append(f"{path}: type changed from {_shape(old)} to {_shape(new)}")
        return problems
    if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
        problems += compare(old["items"], new["items"], f"{path}[]")
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    old_required = set(old.get("required", ()))
    new_required = set(new.get("required", ()))
    for field, old_node in old_props.items():
        if field not in new_props:
            problems.append(f"{path}.{field}: removed (or renamed); fields may only be added")
            continue
        if field in new_required and field not in old_required:
            problems.append(f"{path}.{field}: was optional, is now required")
        problems += compare(old_node, new_props[field], f"{path}.{field}")
    for field in new_props.keys() - old_props.keys():
        if field in new_required:
            problems.append(f"{path}.{field}: added as required; new fields must be optional")
    return problems


def check_versions(schemas: dict[tuple[str, int], EventSchema]) -> list[str]:
    """Problems of every version N compared with version N-1 of the same event type."""
    problems: list[str] = []
    for (event_type, version), schema in sorted(schemas.items()):
        previous = schemas.get((event_type, version - 1))
        if previous is None:
            continue
        problems += [
            f"{event_type} v{version} vs v{version - 1}: {problem}"
            for problem in compare(previous.document, schema.document)
        ]
    return problems


def _committed(path: Path) -> dict[str, Any] | None:
    """The file's content at git HEAD, or None when it is new or git is unavailable."""
    try:
        result = subprocess.run(
            ["git", "show", f"HEAD:./{path.name}"],
            cwd=path.parent,
            capture_output=True,
            check=False,
        )
    except OSError:
        return None
    if result.returncode != 0:
        return None
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def check_committed(schemas: dict[tuple[str, int], EventSchema]) -> list[str]:
    """Problems of schema files whose wire shape changed since they were committed."""
    problems: list[str] = []
    for (event_type, version), schema in sorted(schemas.items()):
        committed = _committed(schema.path)
        if committed is None:
            continue
        changes = compare(committed, schema.document)
        # In place, even an added optional field is a change: it belongs in a new version.
        if committed.get("properties", {}).keys() != schema.properties.keys():
            changes.append("fields added in place; publish a new version instead")
        problems += [
            f"{event_type} v{version} edited after commit ({schema.path.name}): {change}"
            for change in changes
        ]
    return problems


def check_registry(root: Path = SCHEMA_ROOT, against_git: bool = True) -> list[str]:
    """Every evolution problem in the registry under `root` (empty list: all compatible)."""
    schemas = load_schemas(root)
    problems = check_versions(schemas)
    if against_git:
        problems += check_committed(schemas)
    return problems
