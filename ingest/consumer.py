"""Reading the project's topics with kafka-python, from positions the caller chooses.

The consumer knows nothing of Delta: it is told where to start per topic-partition (the lake's
positions), never uses the consumer group's committed offsets, and hands out records in order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from kafka import KafkaConsumer
from kafka import TopicPartition as KafkaTopicPartition

from acme.kafka.client import client_options
from acme.settings import Settings

log = logging.getLogger(__name__)

TopicPartition = tuple[str, int]
"""(topic, partition) as plain values, the form the rest of the ingester uses."""


class SourceRecord(Protocol):
    """What the rest of the ingester needs from a Kafka record (kafka-python's ConsumerRecord has
    these attributes, so records are passed through without copying)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


class EventConsumer:
    """Manually assigned consumer over a fixed list of topics, all partitions, no group."""

    def __init__(self, settings: Settings, topics: Sequence[str], *, max_poll_records: int) -> None:
        self.topics = list(topics)
        self._consumer = KafkaConsumer(
            **client_options(settings),
            client_id="acme-ingest",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=max_poll_records,
            # Bounded prefetch: at most this much is buffered beyond the batch being built.
            fetch_max_bytes=16 * 1024 * 1024,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            reconnect_backoff_max_ms=2000,
            request_timeout_ms=30000,
        )
        self._assigned: set[TopicPartition] = set()

    def discover(self) -> list[TopicPartition]:
        """All partitions of the configured topics the broker knows about now."""
        found: list[TopicPartition] = []
        for topic in self.topics:
            for partition in self._consumer.partitions_for_topic(topic) or ():
                found.append((topic, partition))
        return sorted(found)

    def assign(
        self, positions: Mapping[TopicPartition, int], partitions: Iterable[TopicPartition]
    ) -> list[TopicPartition]:
        """Add `partitions` not yet assigned, each starting at `positions` (or the beginning when
        absent); return the newly assigned ones."""
        new = sorted(set(partitions) - self._assigned)
        if not new:
            return []
        self._assigned |= set(new)
        self._consumer.assign([KafkaTopicPartition(t, p) for t, p in sorted(self._assigned)])
        for topic, partition in new:
            tp = KafkaTopicPartition(topic, partition)
            if (topic, partition) in positions:
                self._consumer.seek(tp, positions[(topic, partition)])
            else:
                self._consumer.seek_to_beginning(tp)
        log.info("assigned partitions", extra={"partitions": [f"{t}/{p}" for t, p in new]})
        return new

    def poll(self, timeout_ms: int) -> dict[TopicPartition, list[SourceRecord]]:
        """The next records per assigned partition, in offset order (handed on per partition, so
        per-partition state is looked up once per fetch, not once per record)."""
        if not self._assigned:
            return {}
        fetched = self._consumer.poll(timeout_ms=timeout_ms)
        return {(tp.topic, tp.partition): records for tp, records in fetched.items()}

    def lag(
        self, next_offsets: Mapping[TopicPartition, int], *, ask_broker: bool
    ) -> dict[TopicPartition, int]:
        """Records on the broker not yet written to the lake, per assigned partition. With
        `ask_broker` (or for partitions no fetch has answered yet) the broker is asked, so it
        doubles as the readiness probe and raises `KafkaError` when the broker cannot answer;
        otherwise the high watermarks of the latest fetch responses are used."""
        tps = [KafkaTopicPartition(t, p) for t, p in sorted(self._assigned)]
        if not tps:
            self._consumer.topics()  # still prove the broker answers
            return {}
        ends: dict[Any, int] = {}
        if not ask_broker:
            for tp in tps:
                highwater = self._consumer.highwater(tp)
                if highwater is not None:
                    ends[tp] = highwater
        unknown = [tp for tp in tps if tp not in ends]
        if unknown:
            ends |= self._consumer.end_offsets(unknown, timeout_ms=5000)
        return {
            (tp.topic, tp.partition): max(0, end - next_offsets.get((tp.topic, tp.partition), 0))
            for tp, end in ends.items()
        }

    def close(self) -> None:
        self._consumer.close(autocommit=False)
