"""A small run produced to the real broker comes back message for message: right topic, key and
bytes, per-aggregate order kept within each partition."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from kafka import KafkaConsumer

from acme.contexts import BOUNDED_CONTEXTS
from acme.kafka.client import client_options
from acme.kafka.topics import topic_for
from acme.settings import Settings
from simulator import SimulationConfig, simulate
from simulator.sinks import produce_to_kafka

pytestmark = pytest.mark.kafka


def test_produce_and_consume_back(settings: Settings) -> None:
    config = SimulationConfig(seed=3, days=1, customers=150, products=80, bad_share=0.02)
    expected = list(simulate(config).events)
    run = simulate(config)
    sent = produce_to_kafka(run, settings)
    assert sum(sent.values()) == len(expected)
    assert run.truth["messages"] == len(expected)

    consumer = KafkaConsumer(
        *[topic_for(c, settings) for c in BOUNDED_CONTEXTS],
        **client_options(settings),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
    )
    received = list(consumer)
    consumer.close()

    def key(topic: str, k: bytes | None, v: bytes) -> tuple[str, bytes | None, bytes]:
        return (topic, k, v)

    assert Counter(key(r.topic, r.key, r.value) for r in received) == Counter(
        key(topic_for(m.context, settings), m.key, m.value) for m in expected
    )
    # Order per aggregate: within a topic, one key's messages arrive in the order produced.
    produced_order: defaultdict[tuple[str, bytes], list[bytes]] = defaultdict(list)
    for m in expected:
        produced_order[(topic_for(m.context, settings), m.key)].append(m.value)
    consumed_order: defaultdict[tuple[str, bytes], list[bytes]] = defaultdict(list)
    for r in sorted(received, key=lambda r: (r.topic, r.partition, r.offset)):
        consumed_order[(r.topic, r.key)].append(r.value)
    assert consumed_order == produced_order
