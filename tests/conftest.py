"""Fixtures shared by the whole suite. Servers are real: the Kafka fixture starts the same
`LocalBroker` that `make kafka-up` starts, on free ports and a private data folder; the built lake
is simulated, backfilled and built by dbt as production builds it (the dbt and privacy tests)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from acme.kafka.local_broker import LocalBroker
from acme.settings import Settings
from acme.warehouse.dbt import build
from simulator import SimulationConfig
from tests.dbt.dbt_lake import SimulatedLake, simulated_lake


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A real Kafka 4 broker for the whole test session, stopped at the end."""
    broker = LocalBroker(
        home=tmp_path_factory.mktemp("kafka"), port=free_port(), controller_port=free_port()
    )
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def lake_root(tmp_path: Path) -> Path:
    """An empty lake folder for one test."""
    root = tmp_path / "lake"
    root.mkdir()
    return root


@pytest.fixture
def settings(
    kafka_broker: LocalBroker, lake_root: Path, request: pytest.FixtureRequest
) -> Settings:
    """Settings pointing at the test broker and a private lake, with a topic prefix of the test's
    own so tests never see each other's events."""
    prefix = f"t{abs(hash(request.node.nodeid)) % 10**8}."
    return Settings(
        kafka_bootstrap_servers=kafka_broker.bootstrap_servers,
        kafka_topic_prefix=prefix,
        local_kafka_home=kafka_broker.home,
        local_kafka_port=kafka_broker.port,
        local_kafka_controller_port=kafka_broker.controller_port,
        lake_root=lake_root,
        duckdb_build_path=lake_root / "warehouse" / "build.duckdb",
        duckdb_serving_path=lake_root / "warehouse" / "serving.duckdb",
    )


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
