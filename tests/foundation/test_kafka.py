"""The embedded broker is real: messages go through it, and a missing JDK is reported clearly."""

import uuid

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from acme.kafka import local_broker
from acme.kafka.client import client_options
from acme.kafka.local_broker import BrokerError, LocalBroker
from acme.kafka.topics import ensure_topics, list_project_topics, topic_for
from acme.settings import Settings

pytestmark = pytest.mark.kafka


def test_topics_are_created_once_per_bounded_context(settings: Settings) -> None:
    created = ensure_topics(settings)
    assert topic_for("orders", settings) in created
    assert ensure_topics(settings) == []  # idempotent
    topics = list_project_topics(settings)
    assert len(topics) == 11
    assert set(topics.values()) == {settings.kafka_topic_partitions}


def test_messages_round_trip_through_the_real_broker_in_key_order(settings: Settings) -> None:
    ensure_topics(settings)
    topic = topic_for("orders", settings)
    producer = KafkaProducer(**client_options(settings), acks="all")
    sent = [(f"order-{i % 5}".encode(), uuid.uuid4().bytes) for i in range(200)]
    for key, value in sent:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()

    consumer = KafkaConsumer(**client_options(settings), enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in range(settings.kafka_topic_partitions)]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    received: list[tuple[bytes, bytes]] = []
    while len(received) < len(sent):
        batch = consumer.poll(timeout_ms=5000)
        assert batch, f"broker returned nothing after {len(received)} of {len(sent)} messages"
        for records in batch.values():
            received.extend((r.key, r.value) for r in records)
    consumer.close()

    assert sorted(received) == sorted(sent)
    for key in {k for k, _ in sent}:  # per-key order survives partitioning
        assert [v for k, v in received if k == key] == [v for k, v in sent if k == key]


def test_a_missing_jdk_is_reported_with_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setattr(local_broker.shutil, "which", lambda name: None)
    broker = LocalBroker(home=tmp_path, port=1, controller_port=2)  # type: ignore[arg-type]
    with pytest.raises(BrokerError, match=r"`java` not found on PATH: install Java 17\+"):
        broker.start()


def test_a_killed_broker_restarts_with_its_data(settings: Settings) -> None:
    """The fixture's broker survives a kill -9 and keeps what was written (used by ingest chaos)."""
    ensure_topics(settings)
    topic = topic_for("payments", settings)
    producer = KafkaProducer(**client_options(settings), acks="all")
    producer.send(topic, key=b"k", value=b"before-crash").get(timeout=30)
    producer.close()
    broker = LocalBroker(
        home=settings.local_kafka_home,
        port=settings.local_kafka_port,
        controller_port=settings.local_kafka_controller_port,
    )
    broker.kill()
    assert not broker.is_answering()
    broker.start()
    consumer = KafkaConsumer(
        topic, **client_options(settings), auto_offset_reset="earliest", consumer_timeout_ms=15000
    )
    values = [record.value for record in consumer]
    consumer.close()
    assert b"before-crash" in values
