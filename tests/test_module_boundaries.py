"""Which package may import which (docs/architecture.md): each contract in pyproject.toml's
[tool.importlinter], checked by import-linter over the whole import graph, indirect imports and
imports inside functions included."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from acme.settings import REPO_ROOT

CONTRACTS = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "contracts"
]


@pytest.mark.parametrize("contract", [c["id"] for c in CONTRACTS])
def test_the_import_contract_is_kept(contract: str) -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [lint_imports, "--no-cache", "--no-logo", "--contract", contract],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
