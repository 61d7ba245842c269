"""Where the lake's shared tables and folders live, below the lake root (`lake_layout.toml`)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Final

LAYOUT_FILE: Final = Path(__file__).with_name("lake_layout.toml")
LAKE_PATHS: Final[dict[str, str]] = tomllib.loads(LAYOUT_FILE.read_text())["paths"]


def lake_path(lake_root: Path, name: str) -> Path:
    """The folder of the lake's table or folder `name` (a key of `lake_layout.toml`)."""
    return lake_root / LAKE_PATHS[name]
