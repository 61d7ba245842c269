"""Fixtures shared by the whole suite. Servers are real: the Kafka fixture starts the same
`LocalBroker` that `make kafka-up` starts, on free ports and a private data folder."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from acme.kafka.local_broker import LocalBroker
from acme.settings import Settings


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
