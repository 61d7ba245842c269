"""Ingest benchmark: Kafka -> Delta throughput beside the consume-only ceiling, peak RSS, and
event-to-lake latency at the demo rate. Runs against its own real broker on free ports.

Sizes: ACME_BENCH_INGEST_EVENTS (default 1,000,000) events for throughput; ACME_BENCH_DEMO_SECONDS
(default 30) at ACME_BENCH_DEMO_RATE (default 200) events/s for latency; ACME_BENCH_BACKLOG_EVENTS
(default 10,000,000; 0 skips it) for peak RSS while catching up on a large backlog, which is the
long step (about 20 minutes).
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson
import psutil
import pyarrow.parquet as pq
import requests
from deltalake import DeltaTable
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from acme.kafka.client import client_options
from acme.kafka.local_broker import LocalBroker
from acme.kafka.topics import ensure_topics, project_topics, topic_for
from acme.settings import Settings
from ingest.ingester import Shard
from ingest.tables import RAW_EVENTS
from simulator import SimulationConfig, simulate

DISTINCT_EVENTS = 1_000_000
"""Simulated events held in memory for producing; larger backlogs send them again."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _log(message: str) -> None:
    print(f"[bench_ingest] {message}", file=sys.stderr, flush=True)


FLUSH_EVERY = 100_000
"""Sends between producer flushes while producing a backlog."""


def _produce_backlog(settings: Settings, target: int) -> tuple[int, int]:
    """Simulated events (valid, bad and duplicates as in production noise) until `target`. A
    backlog beyond `DISTINCT_EVENTS` repeats them: simulating is slower than the ingest being
    measured, and the ingester's memory does not depend on the events being new."""
    ensure_topics(settings)
    producer = KafkaProducer(
        **client_options(settings),
        acks=1,
        linger_ms=50,
        batch_size=1024 * 1024,
        compression_type=None,
    )
    events: list[tuple[str, bytes | None, bytes]] = []
    seed = 0
    while len(events) < min(target, DISTINCT_EVENTS):
        run = simulate(
            SimulationConfig(
                seed=seed, days=30, customers=40_000, bad_share=0.001, duplicate_share=0.01
            )
        )
        events += [(topic_for(e.context, settings), e.key, e.value) for e in run.events]
        seed += 1
    del events[target:]
    sent = total_bytes = 0
    failures: list[BaseException] = []
    while sent < target:
        for topic, key, value in events[: target - sent]:
            # A send is asynchronous: a batch the broker refuses or that times out is only seen
            # on its future, so count the failures instead of trusting `sent`.
            producer.send(topic, key=key, value=value).add_errback(failures.append)
            sent += 1
            total_bytes += len(value)
            if sent % FLUSH_EVERY == 0:
                # Backpressure: without it the producer queues faster than one broker on two
                # shared cores takes, and queued batches expire (delivery timeout) unsent.
                producer.flush()
            if sent % 1_000_000 == 0:
                _log(f"produced {sent:,}")
    producer.flush()
    producer.close()
    if failures:
        raise RuntimeError(f"{len(failures):,} of {sent:,} sends failed, first: {failures[0]!r}")
    return sent, total_bytes


def _consume_share(settings: Settings, shard: Shard) -> tuple[int, float, float, float]:
    """One consume-only process over `shard` of the partitions (the ingester's split), from the
    beginning to their end offsets: records, start and end (epoch seconds), CPU seconds."""
    consumer = KafkaConsumer(
        **client_options(settings),
        group_id=None,
        enable_auto_commit=False,
        max_poll_records=50_000,
        fetch_max_bytes=16 * 1024 * 1024,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    partitions = [
        TopicPartition(topic, p)
        for topic in project_topics(settings)
        for p in consumer.partitions_for_topic(topic) or ()
        if shard.owns((topic, p))
    ]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    expected = sum(consumer.end_offsets(partitions).values())
    seen = 0
    started, cpu_started = time.time(), time.process_time()
    while seen < expected:
        for records in consumer.poll(timeout_ms=1000).values():
            seen += len(records)
    ended, cpu = time.time(), time.process_time() - cpu_started
    consumer.close()
    return seen, started, ended, cpu


def _consume_only(settings: Settings, expected: int, processes: int) -> dict[str, Any]:
    """kafka-python reading and discarding everything, configured like the ingester and split
    over as many processes as the ingest run it is compared with: events/s (wall clock, first
    start to last end) and CPU time per event (which other load on the machine does not
    inflate)."""
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        shares = list(pool.map(_consume_share, [settings] * processes, _shards(processes)))
    seen = sum(s[0] for s in shares)
    if seen != expected:
        raise RuntimeError(f"consumed {seen} records, expected {expected}")
    elapsed = max(s[2] for s in shares) - min(s[1] for s in shares)
    return {
        "processes": processes,
        "events_per_s": round(seen / elapsed),
        "cpu_us_per_event": round(sum(s[3] for s in shares) / seen * 1e6, 1),
    }


def _shards(count: int) -> list[Shard]:
    return [Shard(index, count) for index in range(count)]


def _ingest_env(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "ACME_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "ACME_KAFKA_TOPIC_PREFIX": settings.kafka_topic_prefix,
        "ACME_LAKE_ROOT": str(settings.lake_root),
        "ACME_INGEST_METRICS_PORT": "0",
        **extra,
    }


def _acme() -> str:
    return str(Path(sys.executable).parent / "acme")


def _watch_rss(process: subprocess.Popen[bytes], peak: list[int]) -> None:
    """Peak summed RSS of the ingest process and its workers."""
    handle = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            family = [handle, *handle.children(recursive=True)]
            peak[0] = max(peak[0], sum(p.memory_info().rss for p in family))
        except psutil.Error:
            pass
        time.sleep(0.05)


def _stamp(entry: dict[str, Any]) -> float:
    return datetime.fromisoformat(entry["time"]).timestamp()


def _ingest_backlog(settings: Settings, expected: int, workers: int) -> dict[str, Any]:
    """`acme ingest --until-idle --workers N` over the whole backlog, in its own processes. The
    rate counts from the first partition assignment to the last commit (start-up excluded, like
    the consume-only measurement); the wall time includes start-up."""
    peak = [0]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(
        [_acme(), "ingest", "--until-idle", "--workers", str(workers)],
        env=_ingest_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    watcher = threading.Thread(target=_watch_rss, args=(process, peak), daemon=True)
    watcher.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the ingester and its workers
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    if process.returncode != 0:
        raise RuntimeError(f"acme ingest failed:\n{stderr.decode()[-3000:]}")
    written = 0
    first = last = None
    for line in stderr.splitlines():
        if not line.startswith(b"{"):
            continue
        entry = orjson.loads(line)
        if entry.get("message") == "resuming from the lake's positions":
            first = min(first or _stamp(entry), _stamp(entry))
        if entry.get("message") == "batch committed":
            written += entry["records"]
            last = max(last or 0.0, _stamp(entry))
    if written != expected or first is None or last is None:
        raise RuntimeError(f"ingested {written} records, expected {expected}")
    return {
        "workers": workers,
        "events_per_s": round(written / (last - first)),
        "cpu_us_per_event_including_startup": round(cpu / written * 1e6, 1),
        "wall_seconds_with_startup": round(wall, 1),
        "peak_rss_mib": round(peak[0] / 2**20),
        "load_average_1m": {"before": load_before, "after": os.getloadavg()[0]},
    }


def _is_ready(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _demo_latency(settings: Settings, rate: float, seconds: float) -> dict[str, Any]:
    """Send valid events at `rate`/s to a running ingester; time each until it is in the table."""
    raw_path = RAW_EVENTS.path(settings.lake_root)
    port = _free_port()
    process = subprocess.Popen(
        [_acme(), "ingest", "--metrics-port", str(port)],
        env=_ingest_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sent_at: dict[str, float] = {}
    seen_at: dict[str, float] = {}
    stop = threading.Event()

    def watch() -> None:
        table = DeltaTable(str(raw_path))
        known = {a for a in table.get_add_actions(flatten=True).column("path").to_pylist()}
        while not stop.is_set():
            table.update_incremental()
            for path in table.get_add_actions(flatten=True).column("path").to_pylist():
                if path in known:
                    continue
                known.add(path)
                now = time.time()
                for event_id in (
                    pq.read_table(raw_path / path, columns=["event_id"]).column(0).to_pylist()
                ):
                    seen_at.setdefault(event_id, now)
            time.sleep(0.05)

    ensure_topics(settings)
    deadline = time.monotonic() + 60  # time a ready ingester, not its start-up
    while not _is_ready(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    producer = KafkaProducer(**client_options(settings), acks=1, linger_ms=0)
    run = simulate(SimulationConfig(seed=99, days=1, customers=2_000))
    events = (e for e in run.events if e.is_valid and not e.is_duplicate)
    interval = 1.0 / rate
    started = time.perf_counter()
    for i, event in enumerate(events):
        due = started + i * interval
        if due - started > seconds:
            break
        time.sleep(max(0.0, due - time.perf_counter()))
        event_id = orjson.loads(event.value)["event_id"]
        sent_at[event_id] = time.time()
        producer.send(topic_for(event.context, settings), key=event.key, value=event.value)
    producer.flush()
    producer.close()
    deadline = time.monotonic() + 30
    while len(seen_at.keys() & sent_at.keys()) < len(sent_at) and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    process.terminate()
    process.wait(timeout=60)
    delays = sorted(seen_at[k] - sent_at[k] for k in sent_at if k in seen_at)
    quantiles = statistics.quantiles(delays, n=100)
    return {
        "events": len(sent_at),
        "landed": len(delays),
        "rate_per_s": rate,
        "p50_seconds": round(quantiles[49], 3),
        "p95_seconds": round(quantiles[94], 3),
        "max_seconds": round(delays[-1], 3),
    }


def _broker_settings(broker: LocalBroker, lake: Path, prefix: str) -> Settings:
    return Settings(
        kafka_bootstrap_servers=broker.bootstrap_servers,
        kafka_topic_prefix=prefix,
        lake_root=lake,
        _env_file=None,  # type: ignore[call-arg]
    )


def _throughput(settings: Settings, events: int) -> dict[str, Any]:
    """Kafka -> Delta with 1 and 2 processes, each beside a consume-only ceiling read by the
    same number of processes."""
    _log(f"producing {events:,} simulated events")
    sent, payload_bytes = _produce_backlog(settings, events)
    runs = []
    for workers in (1, 2):
        consume_only = _consume_only(settings, sent, workers)
        _log(f"consume-only: {consume_only}")
        lake = settings.lake_root.parent / f"lake-{workers}"
        result = _ingest_backlog(settings.model_copy(update={"lake_root": lake}), sent, workers)
        result["consume_only"] = consume_only
        result["share_of_ceiling"] = round(result["events_per_s"] / consume_only["events_per_s"], 3)
        # What landing costs beyond reading: validation, Arrow, live metrics, Delta.
        result["cpu_us_per_event_beyond_consume"] = round(
            result["cpu_us_per_event_including_startup"] - consume_only["cpu_us_per_event"], 1
        )
        _log(f"Kafka -> Delta: {result}")
        runs.append(result)
        shutil.rmtree(lake)
    return {"events": sent, "mean_event_bytes": round(payload_bytes / sent), "runs": runs}


def _backlog_memory(settings: Settings, events: int) -> dict[str, Any]:
    """Peak RSS of one ingest process catching up on a backlog of `events` (issue bar: 1 GB)."""
    _log(f"producing a backlog of {events:,} events")
    sent, _ = _produce_backlog(settings, events)
    result = _ingest_backlog(settings, sent, workers=1)
    _log(f"backlog catch-up: {result}")
    shutil.rmtree(settings.lake_root)
    return {"events": sent, **result, "target_peak_rss_mib_below": 1024}


def run() -> dict[str, Any]:
    events = int(os.environ.get("ACME_BENCH_INGEST_EVENTS", "1000000"))
    demo_rate = float(os.environ.get("ACME_BENCH_DEMO_RATE", "200"))
    demo_seconds = float(os.environ.get("ACME_BENCH_DEMO_SECONDS", "30"))
    backlog_events = int(os.environ.get("ACME_BENCH_BACKLOG_EVENTS", "10000000"))
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        home = Path(tmp)
        broker = LocalBroker(home=home / "kafka", port=_free_port(), controller_port=_free_port())
        home.joinpath("kafka").mkdir()
        broker.start()
        try:
            load_before = os.getloadavg()[0]
            throughput = _throughput(_broker_settings(broker, home / "lake", "bench."), events)
            _log("demo-rate latency")
            latency = _demo_latency(
                _broker_settings(broker, home / "demo-lake", "demo."), demo_rate, demo_seconds
            )
            load_after = os.getloadavg()[0]
            backlog = (
                _backlog_memory(
                    _broker_settings(broker, home / "backlog-lake", "backlog."), backlog_events
                )
                if backlog_events
                else None
            )
        finally:
            broker.stop()
    return {
        "events": throughput["events"],
        "mean_event_bytes": throughput["mean_event_bytes"],
        "kafka_to_delta": throughput["runs"],
        "demo_latency": latency,
        # Other work on the machine slows the wall-clock rates; CPU per event is not inflated.
        "load_average_1m": {"before": load_before, "after": load_after},
        "backlog_catch_up": backlog,
        "targets": {"events_per_s": 50_000, "share_of_ceiling": 0.5, "p95_seconds_below": 5},
    }
