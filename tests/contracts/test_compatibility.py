"""Schema evolution: the committed registry is compatible, and breaking changes are rejected."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from acme.contracts.compatibility import check_committed, check_registry, check_versions
from acme.contracts.registry import SCHEMA_ROOT, load_schemas


def test_committed_registry_is_compatible() -> None:
    assert check_registry() == []


@pytest.fixture
def registry_copy(tmp_path: Path) -> Path:
    root = tmp_path / "schemas"
    shutil.copytree(SCHEMA_ROOT, root)
    return root


def _publish_v3(root: Path, change: Any) -> list[str]:
    v2 = root / "orders" / "OrderPlaced.v2.json"
    document = json.loads(v2.read_text())
    document["x-schema-version"] = 3
    change(document)
    (root / "orders" / "OrderPlaced.v3.json").write_text(json.dumps(document))
    return check_versions(load_schemas(root))


def _remove(doc: dict[str, Any]) -> None:
    del doc["properties"]["tax"]
    doc["required"].remove("tax")


def _rename(doc: dict[str, Any]) -> None:
    doc["properties"]["tax_amount"] = doc["properties"].pop("tax")
    doc["required"] = [("tax_amount" if f == "tax" else f) for f in doc["required"]]


def _retype(doc: dict[str, Any]) -> None:
    doc["properties"]["tax"] = {"type": "number"}


def _retype_nested(doc: dict[str, Any]) -> None:
    doc["properties"]["lines"]["items"]["properties"]["quantity"]["type"] = "string"


def _add_required(doc: dict[str, Any]) -> None:
    doc["properties"]["loyalty_tier"] = {"type": "string"}
    doc["required"].append("loyalty_tier")


def _make_required(doc: dict[str, Any]) -> None:
    doc["required"].append("delivery_option")


def _narrow_enum(doc: dict[str, Any]) -> None:
    doc["properties"]["delivery_option"]["enum"] = ["standard", "express"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_remove, "$.tax: removed"),
        (_rename, "$.tax: removed"),
        (_retype, "$.tax: type changed"),
        (_retype_nested, "$.lines[].quantity: type changed"),
        (_add_required, "$.loyalty_tier: added as required"),
        (_make_required, "$.delivery_option: was optional"),
        (_narrow_enum, "$.delivery_option: type changed"),
    ],
)
def test_breaking_change_is_rejected(registry_copy: Path, change: Any, message: str) -> None:
    problems = _publish_v3(registry_copy, change)
    assert problems, "the breaking change was accepted"
    assert all(p.startswith("OrderPlaced v3 vs v2: ") for p in problems)
    assert any(message in p for p in problems), problems


def test_adding_an_optional_field_is_accepted(registry_copy: Path) -> None:
    def add_optional(doc: dict[str, Any]) -> None:
        doc["properties"]["gift_wrap"] = {"type": ["boolean", "null"]}
        doc["properties"]["tax"]["description"] = "reworded: annotations may change"

    assert _publish_v3(registry_copy, add_optional) == []


def test_a_committed_version_cannot_be_edited_in_place(registry_copy: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=registry_copy, check=True)
    subprocess.run([*git, "add", "."], cwd=registry_copy, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "registry"], cwd=registry_copy, check=True)
    assert check_committed(load_schemas(registry_copy)) == []

    path = registry_copy / "cart" / "ItemAdded.v1.json"
    document = json.loads(path.read_text())
    document["properties"]["gift"] = {"type": ["boolean", "null"]}
    path.write_text(json.dumps(document))
    problems = check_committed(load_schemas(registry_copy))
    assert problems == [
        "ItemAdded v1 edited after commit (ItemAdded.v1.json): fields added in place; "
        "publish a new version instead"
    ]


def test_a_version_gap_is_refused(registry_copy: Path) -> None:
    (registry_copy / "orders" / "OrderPlaced.v2.json").rename(
        registry_copy / "orders" / "OrderPlaced.v4.json"
    )
    from acme.contracts.registry import RegistryError

    with pytest.raises(RegistryError, match="x-schema-version"):
        load_schemas(registry_copy)
