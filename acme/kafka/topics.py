"""The project's topics: one per bounded context, keyed by aggregate id so order holds per aggregate."""

from __future__ import annotations

import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from acme.contexts import BOUNDED_CONTEXTS
from acme.kafka.client import client_options
from acme.settings import Settings


def topic_for(context: str, settings: Settings) -> str:
    """Topic name of a bounded context, e.g. `acme.orders`."""
    if context not in BOUNDED_CONTEXTS:
        raise ValueError(
            f"unknown bounded context {context!r}; known: {', '.join(BOUNDED_CONTEXTS)}"
        )
    return f"{settings.kafka_topic_prefix}{context}"


def project_topics(settings: Settings) -> list[str]:
    """Every topic the project produces to and consumes from."""
    return [topic_for(context, settings) for context in BOUNDED_CONTEXTS]


def ensure_topics(settings: Settings, ready_timeout_s: float = 30.0) -> list[str]:
    """Create the project's topics that do not exist yet and wait until every partition of each
    has a leader (a just-created topic is briefly absent from metadata); return the ones created."""
    admin = KafkaAdminClient(**client_options(settings), client_id="acme-admin")
    try:
        existing = set(admin.list_topics())
        missing = [name for name in project_topics(settings) if name not in existing]
        created = []
        for name in missing:
            try:
                admin.create_topics(
                    [
                        NewTopic(
                            name=name,
                            num_partitions=settings.kafka_topic_partitions,
                            replication_factor=settings.kafka_topic_replication,
                        )
                    ]
                )
                created.append(name)
            except TopicAlreadyExistsError:
                pass  # created concurrently by another process: that is the state we want
        _wait_until_led(admin, project_topics(settings), ready_timeout_s)
        return created
    finally:
        admin.close()


def _wait_until_led(admin: KafkaAdminClient, topics: list[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        described = admin.describe_topics(topics)
        if all(
            d["error_code"] == 0
            and d["partitions"]
            and all(p["leader_id"] >= 0 for p in d["partitions"])
            for d in described
        ):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topics without partition leaders after {timeout_s}s: {topics}")
        time.sleep(0.2)


def list_project_topics(settings: Settings) -> dict[str, int]:
    """The project's topics that exist on the broker, with their partition counts."""
    admin = KafkaAdminClient(**client_options(settings), client_id="acme-admin")
    try:
        wanted = set(project_topics(settings))
        described = admin.describe_topics([t for t in admin.list_topics() if t in wanted])
        return {d["name"]: len(d["partitions"]) for d in described}
    finally:
        admin.close()
