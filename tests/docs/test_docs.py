"""The documentation agrees with the repository: the decision index is complete, links resolve,
nothing points outside the repository, and dbt's exposures name what each dashboard reads."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from acme.settings import REPO_ROOT

DECISIONS = REPO_ROOT / "docs" / "decisions"
BUNDLES = REPO_ROOT / "superset" / "bundles"
EXPOSURES = REPO_ROOT / "dbt_project" / "models" / "_exposures.yml"
INDEX_ROW = re.compile(
    r"^\| \[[^\]]+\]\((?P<file>[\w.-]+\.md)\) \| (?P<date>\d{4}-\d\d-\d\d) \| (?P<status>[^|]+) \|$"
)
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")
MART_TABLE = re.compile(r"\bmarts\.(\w+)")
# Files the team keeps beside the repository, which a clone does not have.
OUTSIDE_FILES = ("STYLE.md", "product-brief.md", "DEVELOPERS.md")


def tracked_files(*patterns: str) -> list[Path]:
    listing = subprocess.run(
        ["git", "ls-files", "--", *patterns],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [REPO_ROOT / line for line in listing.splitlines()]


def test_the_decision_index_lists_every_decision_with_its_date_and_status() -> None:
    rows = [
        match
        for line in (DECISIONS / "README.md").read_text().splitlines()
        if (match := INDEX_ROW.match(line))
    ]
    indexed = {row["file"] for row in rows}
    on_disk = {path.name for path in DECISIONS.glob("*.md") if path.name != "README.md"}
    assert indexed == on_disk, f"missing: {on_disk - indexed}, stale: {indexed - on_disk}"
    statuses = {row["status"].strip().split()[0] for row in rows}
    assert statuses <= {"accepted", "superseded", "proposed"}, statuses


def test_relative_links_in_the_docs_resolve_inside_the_repository() -> None:
    broken = []
    for document in tracked_files("*.md"):
        for match in MARKDOWN_LINK.finditer(document.read_text()):
            target = match["target"]
            if "://" in target or target.startswith("mailto:"):
                continue
            resolved = (document.parent / target).resolve()
            if not resolved.is_relative_to(REPO_ROOT) or not resolved.exists():
                broken.append(f"{document.relative_to(REPO_ROOT)}: {target}")
    assert not broken, broken


def test_no_tracked_file_points_at_files_outside_the_repository() -> None:
    mentions = [
        f"{path.relative_to(REPO_ROOT)}: {name}"
        for path in tracked_files("*.md", "*.py", "*.yml", "*.yaml", "*.sql", "Makefile")
        if path != Path(__file__)
        for name in OUTSIDE_FILES
        if name in path.read_text(errors="replace")
    ]
    assert not mentions, mentions


def bundle_documents() -> list[dict[str, Any]]:
    return [yaml.safe_load(path.read_text()) for path in sorted(BUNDLES.glob("*.yaml"))]


def marts_read_by_dashboard() -> dict[str, set[str]]:
    """Each provisioned dashboard's title -> the mart tables its charts' datasets select from."""
    documents = bundle_documents()
    dataset_sql = {
        dataset["name"]: dataset.get("sql") or f"marts.{dataset['name']}"
        for document in documents
        for dataset in document.get("datasets", [])
    }
    chart_dataset = {
        chart["name"]: chart["dataset"]
        for document in documents
        for chart in document.get("charts", [])
    }
    return {
        dashboard["title"]: {
            table
            for row in dashboard["rows"]
            for cell in row
            for table in MART_TABLE.findall(dataset_sql[chart_dataset[cell["chart"]]])
        }
        for document in documents
        for dashboard in document.get("dashboards", [])
    }


def test_every_dashboard_has_an_exposure_naming_the_marts_it_reads() -> None:
    exposures = yaml.safe_load(EXPOSURES.read_text())["exposures"]
    declared = {
        exposure["label"]: {
            ref.removeprefix("ref('").removesuffix("')") for ref in exposure["depends_on"]
        }
        for exposure in exposures
        if exposure["type"] == "dashboard"
    }
    assert declared == marts_read_by_dashboard()
