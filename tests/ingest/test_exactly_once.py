"""Crash proofs against the real broker: kill -9 the ingester over and over, restart the broker
under it; every Kafka record ends up in the lake exactly once and live metrics count each event
once."""

from __future__ import annotations

import random
import signal
import threading
import time
import uuid
from collections import Counter

import orjson
import psutil
import pytest
import requests

import tests.ingest.ingest_factories as f
from acme.kafka.local_broker import LocalBroker
from acme.settings import Settings
from tests.conftest import free_port
from tests.ingest.ingest_helpers import (
    dead_letters,
    live,
    produce,
    raw,
    raw_count,
    start_ingest,
    wait_for,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

CONTEXTS = ("storefront", "orders", "payments")


def _stream(n: int, seed: int) -> list[tuple[str, bytes, bytes]]:
    """`n` messages: sessions, orders and payments, with ~5% producer retries (the same bytes
    sent again) and ~2% malformed records."""
    rng = random.Random(seed)
    messages: list[tuple[str, bytes, bytes]] = []
    at = f.BASE_TIME
    while len(messages) < n:
        session, order = str(uuid.uuid4()), str(uuid.uuid4())
        if rng.random() < 0.05:  # time moves on now and then: events span several minutes
            at += f.minutes(1)
        total = f"{rng.randint(1, 500)}.{rng.randint(0, 99):02d}"
        batch = [
            (
                "storefront",
                session.encode(),
                f.session_started(session, region="ARA", channel="email", at=at),
            ),
            (
                "orders",
                order.encode(),
                f.order_placed(order, session, total=total, region="ARA", at=at),
            ),
            (
                "payments",
                order.encode(),
                f.payment(
                    order, succeeded=rng.random() < 0.8, provider="stripe", amount=total, at=at
                ),
            ),
        ]
        for message in batch:
            messages.append(message)
            if rng.random() < 0.05:
                messages.append(message)  # producer retry: same event_id, another offset
        if rng.random() < 0.06:
            messages.append(("orders", b"bad", b'{"event_id": "not-a-uuid"'))
    return messages


def test_kill_9_at_random_points_neither_loses_nor_duplicates(settings: Settings) -> None:
    messages = _stream(24_000, seed=7)
    rng = random.Random(11)

    def paced_producer() -> None:  # spread over the kills, so they land mid-stream
        for i in range(0, len(messages), 600):
            produce(settings, messages[i : i + 600])
            time.sleep(0.6)

    producer = threading.Thread(target=paced_producer)
    producer.start()
    small_batches = {"ingest_flush_max_records": "700", "ingest_flush_interval_s": "0.3"}
    kills = kills_mid_stream = 0
    while kills < 10:
        process = start_ingest(settings, **small_batches)
        time.sleep(rng.uniform(1.5, 4.0))
        kills_mid_stream += raw_count(settings) < len(messages) * 0.9
        assert process.poll() is None, process.stderr.read().decode()[-3000:]  # type: ignore[union-attr]
        process.kill()  # SIGKILL: no flush, no cleanup
        process.wait()
        kills += 1
    producer.join()
    assert kills_mid_stream >= 8, "most kills must hit an ingester with work to do"
    final = start_ingest(settings, "--until-idle", **small_batches)
    _, stderr = final.communicate(timeout=300)
    assert final.returncode == 0, stderr.decode()[-3000:]

    table = raw(settings)
    dead = dead_letters(settings)
    lineage = Counter(
        zip(
            table["topic"].to_pylist(),
            table["partition"].to_pylist(),
            table["offset"].to_pylist(),
            strict=True,
        )
    )
    lineage.update(
        zip(
            dead["topic"].to_pylist(),
            dead["partition"].to_pylist(),
            dead["offset"].to_pylist(),
            strict=True,
        )
    )
    assert max(lineage.values()) == 1, "a Kafka record was written twice"
    assert sum(lineage.values()) == len(messages), "a Kafka record is missing"

    sent_ids = Counter(
        orjson.loads(v)["event_id"] for _, _, v in messages if v.startswith(b'{"event_id":"')
    )
    assert Counter(table["event_id"].to_pylist()) == sent_ids  # every delivery, every event_id
    assert dead.num_rows == sum(1 for _, k, _ in messages if k == b"bad")

    # Live metrics count each order once although crashes and retries delivered some twice.
    distinct_orders = {
        orjson.loads(v)["event_id"]
        for c, _, v in messages
        if c == "orders" and v.startswith(b'{"event_id":"')
    }
    assert sum(live(settings)["orders_placed"].to_pylist()) == len(distinct_orders)


def test_a_broker_restart_mid_stream_is_ridden_out_and_sigterm_flushes(
    settings: Settings, kafka_broker: LocalBroker
) -> None:
    first = _stream(3000, seed=1)
    second = _stream(3000, seed=2)
    port = free_port()
    produce(settings, first)
    process = start_ingest(settings, ingest_metrics_port=str(port))
    try:
        wait_for(
            lambda: raw_count(settings) >= sum(1 for _, k, _ in first if k != b"bad"),
            90,
            "the first half",
        )
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200

        kafka_broker.kill()
        time.sleep(3)  # the ingester keeps polling a dead broker
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        kafka_broker.start()
        produce(settings, second)

        expected = sum(1 for _, k, _ in first + second if k != b"bad")
        wait_for(lambda: raw_count(settings) >= expected, 120, "the second half after the restart")
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'acme_ingest_events_total{outcome="raw"}' in metrics
        assert "acme_ingest_consumer_lag" in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr.decode()[-3000:]
    table = raw(settings)
    assert table.num_rows == expected
    offsets = list(
        zip(
            table["topic"].to_pylist(),
            table["partition"].to_pylist(),
            table["offset"].to_pylist(),
            strict=True,
        )
    )
    assert len(set(offsets)) == len(offsets)


def test_workers_share_the_partitions_and_die_with_their_supervisor(settings: Settings) -> None:
    messages = _stream(6000, seed=3)
    produce(settings, messages)
    supervisor = start_ingest(settings, "--workers", "2", ingest_flush_max_records="300")
    wait_for(lambda: len(psutil.Process(supervisor.pid).children()) == 2, 30, "two workers")
    workers = psutil.Process(supervisor.pid).children()
    time.sleep(2)  # let them write a little
    supervisor.kill()  # kill -9: the workers must not live on as orphans writing to the lake
    supervisor.wait()
    psutil.wait_procs(workers, timeout=10)
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)

    final = start_ingest(settings, "--workers", "2", "--until-idle")
    _, stderr = final.communicate(timeout=300)
    assert final.returncode == 0, stderr.decode()[-3000:]
    table = raw(settings)
    offsets = list(
        zip(
            table["topic"].to_pylist(),
            table["partition"].to_pylist(),
            table["offset"].to_pylist(),
            strict=True,
        )
    )
    assert len(offsets) == len(set(offsets))
    assert table.num_rows == sum(1 for _, k, _ in messages if k != b"bad")
