"""The lake's layout has one home (`acme/lake_layout.toml`), and every reader agrees with it:
the pipeline's code, dbt's sources and Superset's placeholders (read in Superset's own
environment, which cannot import `acme`)."""

from __future__ import annotations

import ast
import json
import re
import subprocess
from pathlib import Path

import yaml

from acme.lake_layout import LAKE_PATHS, lake_path
from acme.settings import REPO_ROOT

DBT_PROJECT = REPO_ROOT / "dbt_project"
SOURCE_LOCATION = (
    "delta_scan('{{ env_var('ACME_LAKE_ROOT', '../lake') }}/{{ var('raw_events_path') }}')"
)
PYTHON_PACKAGES = (
    "acme",
    "ingest",
    "orchestration",
    "simulator",
    "bench",
    "superset/acme_superset",
)
PLACEHOLDER = re.compile(r"\$\{(\w+_PATH)\}")


def test_dbt_reads_the_raw_table_where_the_layout_puts_it() -> None:
    project = yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text())
    assert project["vars"]["raw_events_path"] == LAKE_PATHS["raw_events"]
    sources = sorted((DBT_PROJECT / "models").rglob("_*__sources.yml"))
    assert sources
    for path in sources:
        for source in yaml.safe_load(path.read_text())["sources"]:
            assert SOURCE_LOCATION in source["meta"]["external_location"], path


def test_no_python_module_spells_a_layout_path_itself() -> None:
    """Nested paths (`raw/events`) are distinctive enough to find as string literals; a module that
    writes one instead of asking `acme.lake_layout` would drift when the layout changes."""
    nested = {path for path in LAKE_PATHS.values() if "/" in path}
    spelled = [
        f"{module.relative_to(REPO_ROOT)}:{node.lineno}"
        for package in PYTHON_PACKAGES
        for module in (REPO_ROOT / package).rglob("*.py")
        for node in ast.walk(ast.parse(module.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and any(path in node.value for path in nested)
    ]
    assert not spelled, spelled


def test_superset_resolves_every_layout_path_and_bundle_placeholder(tmp_path: Path) -> None:
    placeholders = json.loads(
        subprocess.run(
            [
                str(REPO_ROOT / "superset" / ".venv" / "bin" / "python"),
                "-c",
                "import json; from acme_superset.context import Placeholders;"
                "print(json.dumps(dict(Placeholders().values)))",
            ],
            env={"ACME_LAKE_ROOT": str(tmp_path)},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    for name in LAKE_PATHS:
        assert placeholders[f"{name.upper()}_PATH"] == str(lake_path(tmp_path, name))
    used = {
        match
        for bundle in (REPO_ROOT / "superset" / "bundles").glob("*.yaml")
        for match in PLACEHOLDER.findall(bundle.read_text())
    }
    assert used, "the bundles read no lake path"
    assert used <= placeholders.keys()
