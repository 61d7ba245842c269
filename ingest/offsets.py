"""Kafka positions stored as Delta app transactions: one app id per table and topic-partition.

The version stored for an app id is the *next* offset to process (last written offset + 1), the
same meaning as a Kafka committed offset. It is written by `writer.DeltaAppender.append` in the
same commit as the rows it describes, so the table itself says how far it got.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ingest.consumer import TopicPartition
from ingest.writer import DeltaAppender


def app_id(stream: str, topic: str, partition: int) -> str:
    """App-transaction id of one topic-partition in one output stream, e.g.
    `acme-ingest/raw/acme.orders/2`. Each output table has its own stream name so its position is
    tracked independently."""
    return f"acme-ingest/{stream}/{topic}/{partition}"


def stored_positions(
    appender: DeltaAppender, stream: str, partitions: Iterable[TopicPartition]
) -> dict[TopicPartition, int]:
    """Next offset to process per topic-partition, as committed in `appender`'s table; partitions
    the table has never seen are left out."""
    ids = {app_id(stream, topic, partition): (topic, partition) for topic, partition in partitions}
    return {ids[key]: version for key, version in appender.transaction_versions(ids).items()}


def transactions(stream: str, next_offsets: Mapping[TopicPartition, int]) -> dict[str, int]:
    """App transactions recording `next_offsets` for `stream`, ready for `DeltaAppender.append`."""
    return {app_id(stream, t, p): offset for (t, p), offset in next_offsets.items()}
