"""dbt benchmark: a full `dbt build` (models, snapshots and every test) over a lake of
ACME_BENCH_DBT_EVENTS raw events (default 10,000,000), then an incremental build after
ACME_BENCH_DBT_NEW_EVENTS (default 100,000) more, and the publish step. Wall time and peak RSS of
the dbt process tree for each. Targets: full < 180 s, incremental < 20 s.

The lake is built the production way: simulator -> JSONL -> ingest backfill; that preparation is
timed separately and not part of the targets.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import orjson
import psutil
from pydantic import SecretStr

from acme.settings import Settings
from acme.simulator import SimulationConfig, simulate
from acme.simulator.sinks import write_jsonl
from acme.warehouse.dbt import build
from acme.warehouse.duckdb_delta import connection_config
from acme.warehouse.publish import publish
from ingest.backfill import backfill_files

T = TypeVar("T")
# Measured: about 1.8 messages per customer and day over a 30-day window, plus the world's history.
MESSAGES_PER_CUSTOMER_DAY = 1.8
DAYS = 30


def _measured(action: Callable[[], T]) -> tuple[T, float, int]:
    """Run `action`; return its result, wall seconds and peak RSS (bytes) of this process's
    children (dbt runs as one) sampled every 100 ms."""
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        me = psutil.Process()
        while not done.is_set():
            total = 0
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    total += child.memory_info().rss
            peak = max(peak, total)
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        result = action()
    finally:
        done.set()
        sampler.join()
    return result, time.perf_counter() - started, peak


def _minute(line: bytes) -> str:
    event_time: str = orjson.loads(line)["event_time"]
    return event_time[:16]


def _split_latest(jsonl_dir: Path, held_out: int, out_dir: Path) -> tuple[list[Path], list[Path]]:
    """Hold out the latest ~`held_out` messages by event time (whole minutes), so the bulk is a
    causally complete world and the held-out part is what arrives next."""
    files = sorted(jsonl_dir.glob("*.jsonl"))
    per_minute: Counter[str] = Counter()
    for path in files:
        with path.open("rb") as source:
            per_minute.update(_minute(line) for line in source)
    cutoff, later = max(per_minute), 0
    for minute in sorted(per_minute, reverse=True):
        cutoff, later = minute, later + per_minute[minute]
        if later >= held_out:
            break
    out_dir.mkdir(parents=True, exist_ok=True)
    bulk, new = [], []
    for path in files:
        bulk.append(out_dir / f"{path.stem}.bulk.jsonl")
        new.append(out_dir / f"{path.stem}.new.jsonl")
        with path.open("rb") as source, bulk[-1].open("wb") as first, new[-1].open("wb") as last:
            for line in source:
                (last if _minute(line) >= cutoff else first).write(line)
    return bulk, new


def _raw_events(settings: Settings) -> int:
    with duckdb.connect(config=connection_config()) as conn:
        conn.execute("load delta")
        row = conn.execute(
            f"select count(*) from delta_scan('{settings.lake_root}/raw/events')"
        ).fetchone()
    return int(row[0]) if row else 0


def run() -> dict[str, Any]:
    logging.basicConfig(level=logging.WARNING)
    events = int(os.environ.get("ACME_BENCH_DBT_EVENTS", "10000000"))
    new_events = int(os.environ.get("ACME_BENCH_DBT_NEW_EVENTS", "100000"))
    root = Path(tempfile.mkdtemp(prefix="bench-dbt-"))
    try:
        settings = Settings(
            lake_root=root / "lake",
            duckdb_build_path=root / "warehouse" / "build.duckdb",
            duckdb_serving_path=root / "warehouse" / "serving.duckdb",
            pii_salt=SecretStr("bench-salt"),
        )
        customers = max(100, round(events / (MESSAGES_PER_CUSTOMER_DAY * DAYS)))
        config = SimulationConfig(seed=2026, customers=customers, days=DAYS, duplicate_share=0.02)
        started = time.perf_counter()
        write_jsonl(simulate(config), root / "jsonl")
        simulate_seconds = time.perf_counter() - started
        bulk, new = _split_latest(root / "jsonl", new_events, root / "parts")
        started = time.perf_counter()
        backfill_files(settings, bulk, None)
        backfill_seconds = time.perf_counter() - started
        raw_before = _raw_events(settings)

        target = root / "dbt-target"
        _, full_seconds, full_rss = _measured(
            lambda: build(settings, full_refresh=True, target_path=target, capture=True)
        )
        _, publish_seconds, _ = _measured(lambda: publish(settings))
        backfill_files(settings, new, None)
        raw_after = _raw_events(settings)
        _, incremental_seconds, incremental_rss = _measured(
            lambda: build(settings, target_path=target, capture=True)
        )
        with duckdb.connect(str(settings.duckdb_build_path), read_only=True) as conn:
            order_lines = conn.execute("select count(*) from marts.fct_order_lines").fetchone()
        return {
            "raw_events_full_build": raw_before,
            "raw_events_added": raw_after - raw_before,
            "order_lines": order_lines[0] if order_lines else 0,
            "full_build_seconds": round(full_seconds, 1),
            "full_build_peak_rss_mib": round(full_rss / 2**20),
            "incremental_build_seconds": round(incremental_seconds, 1),
            "incremental_build_peak_rss_mib": round(incremental_rss / 2**20),
            "publish_seconds": round(publish_seconds, 1),
            "target_full_build_seconds": 180,
            "target_incremental_build_seconds": 20,
            "preparation": {
                "simulate_to_jsonl_seconds": round(simulate_seconds, 1),
                "backfill_seconds": round(backfill_seconds, 1),
                "simulated_customers": customers,
                "days": DAYS,
            },
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)
