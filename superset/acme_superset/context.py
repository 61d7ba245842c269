"""The values the bundles' `${NAME}` placeholders take on this machine, read from the environment.

Superset's environment cannot import the pipeline's `acme.settings` (its pins conflict), so the
few settings it needs are read here under the same `ACME_*` names and defaults.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

import duckdb_ext

REPO_ROOT = Path(__file__).resolve().parents[2]
# The lake's layout, stated once for the pipeline and Superset (the pipeline reads it through
# `acme.lake_layout`): every path in it is a placeholder `<NAME>_PATH`, e.g. `${LIVE_METRICS_PATH}`.
LAKE_LAYOUT = REPO_ROOT / "acme" / "lake_layout.toml"
# Placeholders ending in _PASSWORD may fall back to a local-only value in local development.
LOCAL_PASSWORD_SUFFIX = "-local-only"


def _path(variable: str, default: str) -> Path:
    path = Path(os.environ.get(variable) or default)
    return path if path.is_absolute() else REPO_ROOT / path


def serving_path() -> Path:
    """The serving DuckDB file the dbt build publishes (ACME_DUCKDB_SERVING_PATH)."""
    return _path("ACME_DUCKDB_SERVING_PATH", "lake/warehouse/serving.duckdb")


def serving_release() -> str:
    """An id of the release the serving path holds now: the inode and modification time of the
    file it resolves to. Every publish swaps in a new file, so the id changes with each one."""
    status = serving_path().stat()
    return f"{status.st_ino}-{status.st_mtime_ns}"


def environment() -> str:
    """`local`, `ci` or `prod` (ACME_ENVIRONMENT), as in the pipeline's settings."""
    return os.environ.get("ACME_ENVIRONMENT", "local").lower()


def extension_directory() -> Path:
    """The folder of the signed DuckDB extensions the `duckdb-ext-delta` wheel ships."""
    return Path(next(iter(duckdb_ext.__path__))) / "extensions"


class Placeholders(Mapping[str, str]):
    """Machine paths from ACME_* settings, plus `SUPERSET_*` secrets from the environment."""

    def __init__(self) -> None:
        lake_root = _path("ACME_LAKE_ROOT", "lake")
        lake_paths = tomllib.loads(LAKE_LAYOUT.read_text())["paths"]
        self.values = {
            "SERVING_PATH": str(serving_path()),
            "LAKE_ROOT": str(lake_root),
            "DUCKDB_EXTENSION_DIR": str(extension_directory()),
        } | {f"{name.upper()}_PATH": str(lake_root / path) for name, path in lake_paths.items()}

    def __getitem__(self, name: str) -> str:
        if name in self.values:
            return self.values[name]
        if name.startswith("SUPERSET_"):
            value = os.environ.get(name)
            if value:
                return value
            if name.endswith("_PASSWORD") and environment() == "local":
                user = name.removeprefix("SUPERSET_").removesuffix("_PASSWORD").lower()
                return user + LOCAL_PASSWORD_SUFFIX
            raise KeyError(f"set {name} (required when ACME_ENVIRONMENT={environment()})")
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        try:
            self[str(name)]
        except KeyError:
            return False
        return True

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)
