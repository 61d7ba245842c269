"""Load the versioned YAML bundles (superset/bundles/*.yaml) into one desired state.

A bundle file may hold any of: databases, datasets, charts, dashboards, roles, users,
row_level_security. `${NAME}` placeholders are filled from the provisioning context (paths that
differ per machine, in string values only) so no machine path is ever committed; an unknown placeholder is an error.
Every dashboard also gets its phone layout (`layout.phone_twin`) unless it says `phone: false`.
A dataset lists its metrics by name; their definitions come from the metrics layer
(`metrics.json` in the bundle folder, generated from dbt: `acme_superset.metrics`), and so do the
labels and descriptions of the columns of a dataset on a mart (`model`). A dataset that names its
mart and writes no SQL selects the whole mart.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from acme_superset.layout import phone_twin
from acme_superset.metrics import (
    MetricError,
    dataset_columns,
    dataset_metrics,
    load_definitions,
)

SECTIONS = (
    "databases",
    "datasets",
    "charts",
    "dashboards",
    "roles",
    "users",
    "row_level_security",
)
METRICS_FILE = "metrics.json"
# The end of every dataset's SQL on the serving file: the serving release goes into the cache key,
# so a publish is seen at once (superset_config.py); a block comment, since Superset wraps the SQL
# in a subquery.
SERVING_RELEASE_COMMENT = "/* serving release {{ cache_key_wrapper(serving_release()) }} */"
TEMPORAL_TYPES = {"date", "timestamp"}
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


class BundleError(ValueError):
    """A bundle is malformed; the message names the file and what to fix."""


@dataclass
class DesiredState:
    """Everything the bundles declare, section by section, in file order."""

    sections: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in SECTIONS}
    )

    def __getitem__(self, section: str) -> list[dict[str, Any]]:
        return self.sections[section]


def substitute(text: str, variables: Mapping[str, str], source: str) -> str:
    """Replace every `${NAME}` in `text`; raise `BundleError` for a name `variables` lacks."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        try:
            return variables[name]
        except KeyError as missing:
            raise BundleError(f"{source}: placeholder ${{{name}}}: {missing}") from None

    return PLACEHOLDER.sub(replace, text)


def _fill(value: Any, variables: Mapping[str, str], source: str) -> Any:
    """Substitute placeholders in every string of a parsed document (never in comments)."""
    if isinstance(value, str):
        return substitute(value, variables, source)
    if isinstance(value, list):
        return [_fill(item, variables, source) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, variables, source) for key, item in value.items()}
    return value


def _whole_mart(dataset: dict[str, Any], definitions: dict[str, Any]) -> None:
    """Complete a dataset that names its mart (`model`) and writes no SQL: it selects the whole
    mart, is described as the mart is in dbt, and its date and timestamp columns (the mart's
    contract types) are temporal, unless the bundle says otherwise."""
    model = dataset.get("model")
    if model is None or dataset.get("sql"):
        return
    if model not in definitions["marts"]:
        raise MetricError(f"dataset {dataset['name']}: no mart {model!r} in the dbt project")
    mart = definitions["marts"][model]
    dataset.setdefault("schema", "marts")
    dataset["sql"] = f"select * from marts.{model}\n{SERVING_RELEASE_COMMENT}\n"
    dataset.setdefault("description", mart["description"])
    dataset.setdefault(
        "temporal_columns",
        sorted(c for c, doc in mart["columns"].items() if doc["type"] in TEMPORAL_TYPES),
    )


def load_bundles(folder: Path, variables: Mapping[str, str]) -> DesiredState:
    """Read every `*.yaml` under `folder` (sorted) into one `DesiredState`."""
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise BundleError(f"no *.yaml bundles in {folder}")
    state = DesiredState()
    seen: dict[tuple[str, str], Path] = {}
    for path in files:
        document = _fill(yaml.safe_load(path.read_text()) or {}, variables, str(path))
        unknown = set(document) - set(SECTIONS)
        if unknown:
            raise BundleError(f"{path}: unknown sections {sorted(unknown)}; use {SECTIONS}")
        for section in SECTIONS:
            for item in document.get(section) or []:
                key = str(item.get("name") or item.get("username") or item.get("title"))
                if (section, key) in seen:
                    raise BundleError(
                        f"{path}: {section} {key!r} is already declared in {seen[(section, key)]}"
                    )
                seen[(section, key)] = path
                state[section].append(item)
    try:
        definitions = load_definitions(folder / METRICS_FILE)
        for dataset in state["datasets"]:
            _whole_mart(dataset, definitions)
            dataset["metrics"] = dataset_metrics(dataset, definitions)
            dataset["column_docs"] = dataset_columns(dataset, definitions)
    except MetricError as error:
        raise BundleError(str(error)) from None
    state["dashboards"].extend(
        [phone_twin(spec) for spec in state["dashboards"] if spec.get("phone", True)]
    )
    return state
