"""Fixtures of the dbt tests: one simulated lake, built once per session like production builds
(simulate -> JSONL -> ingest backfill -> dbt build)."""

from __future__ import annotations

from pathlib import Path

import pytest

from acme.warehouse.dbt import build
from simulator import SimulationConfig
from tests.dbt.dbt_lake import SimulatedLake, simulated_lake

# Small but with every event type, producer retries and bad events (which ingest dead-letters).
RECONCILIATION_RUN = SimulationConfig(
    seed=20260302, customers=4_000, products=300, days=4, duplicate_share=0.05, bad_share=0.02
)


@pytest.fixture(scope="session")
def built_lake(tmp_path_factory: pytest.TempPathFactory) -> SimulatedLake:
    """A lake from RECONCILIATION_RUN with a successful full `dbt build` (models, tests, unit
    tests, snapshots) in its build database."""
    lake = simulated_lake(RECONCILIATION_RUN, tmp_path_factory.mktemp("dbt-lake"))
    build(
        lake.settings,
        unit_tests=True,
        target_path=Path(lake.settings.lake_root).parent / "dbt-target",
        capture=True,
    )
    return lake
