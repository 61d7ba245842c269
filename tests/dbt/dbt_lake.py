"""Build a warehouse the way production does: simulate -> JSONL -> backfill into a private lake ->
dbt build. Shared by the dbt tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from acme.settings import Settings
from ingest.backfill import backfill_files
from simulator import SimulationConfig, simulate
from simulator.sinks import write_jsonl


@dataclass(frozen=True)
class SimulatedLake:
    """A lake filled from one simulation run, with the run's truth manifest."""

    settings: Settings
    truth: dict[str, Any]
    jsonl_dir: Path


# A salt no default shares, so tests can tell it was used and look for leaks of it.
TEST_PII_SALT = "dbt-tests-salt-5f0c2a"


def lake_settings(root: Path, build_name: str = "build.duckdb") -> Settings:
    """Settings whose lake, build and serving databases all live under `root`."""
    return Settings(
        lake_root=root / "lake",
        duckdb_build_path=root / "warehouse" / build_name,
        duckdb_serving_path=root / "warehouse" / "serving.duckdb",
        pii_salt=SecretStr(TEST_PII_SALT),
    )


def simulate_to_jsonl(config: SimulationConfig, out_dir: Path) -> dict[str, Any]:
    """Write the run's events as one JSONL file per context; return its truth manifest."""
    write_jsonl(simulate(config), out_dir)
    truth: dict[str, Any] = json.loads((out_dir / "truth.json").read_text())
    return truth


def backfill(settings: Settings, files: list[Path]) -> None:
    """Load event files into the lake's raw table through the real ingest backfill."""
    backfill_files(settings, files, None)


def simulated_lake(config: SimulationConfig, root: Path) -> SimulatedLake:
    """Simulate, write JSONL and backfill it all into a new lake under `root`."""
    jsonl_dir = root / "jsonl"
    truth = simulate_to_jsonl(config, jsonl_dir)
    settings = lake_settings(root)
    backfill(settings, sorted(jsonl_dir.glob("*.jsonl")))
    return SimulatedLake(settings=settings, truth=truth, jsonl_dir=jsonl_dir)
