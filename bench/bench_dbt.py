"""dbt benchmark: a full `dbt build` (models, snapshots and every test) over a lake of
ACME_BENCH_DBT_EVENTS raw events (default 10,000,000), then an incremental build after
ACME_BENCH_DBT_NEW_EVENTS (default 100,000) more, and the publish step. Wall time and peak RSS of
the dbt process tree for each. Targets: full < 180 s, incremental < 20 s.

Beside them, the floor of any build of this project here: `dbt build --empty` of the same nodes on
a database whose tables are all empty, so no model reads and no test scans a row. What it takes is
dbt's own start-up and per-node work, which no SQL change can remove.

The lake is built the production way: simulator -> JSONL -> ingest backfill; that preparation is
timed separately and not part of the targets. It takes minutes at 10M events, so
ACME_BENCH_DBT_LAKE may name a directory to keep it in: a complete prepared lake there (its READY
file names the same events, held-out events and seed) is reused, otherwise it is made there first.
Without the variable the lake is made in a temporary directory and deleted afterwards. The
prepared lake itself is never written to: each run builds on a hard-linked copy.
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
from acme.warehouse.dbt import build, run_dbt
from acme.warehouse.duckdb_delta import connection_config
from acme.warehouse.publish import publish
from ingest.backfill import backfill_files
from ingest.tables import RAW_EVENTS
from simulator import SimulationConfig, simulate
from simulator.sinks import write_jsonl

T = TypeVar("T")
# Measured: about 1.5 messages per customer and day over a 30-day window, plus the world's history.
MESSAGES_PER_CUSTOMER_DAY = 1.5
DAYS = 30
SEED = 2026
READY = "READY"


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


def _split_latest(jsonl_dir: Path, held_out: int, bulk_dir: Path, new_dir: Path) -> list[Path]:
    """Hold out the latest ~`held_out` messages by event time (whole minutes) in `new_dir`, so
    the bulk (returned, in `bulk_dir`) is a causally complete world and the held-out part is what
    arrives next."""
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
    bulk_dir.mkdir(parents=True, exist_ok=True)
    new_dir.mkdir(parents=True, exist_ok=True)
    bulk = []
    for path in files:
        bulk.append(bulk_dir / f"{path.stem}.bulk.jsonl")
        new = new_dir / f"{path.stem}.new.jsonl"
        with path.open("rb") as source, bulk[-1].open("wb") as first, new.open("wb") as last:
            for line in source:
                (last if _minute(line) >= cutoff else first).write(line)
    return bulk


def _raw_events(settings: Settings) -> int:
    with duckdb.connect(config=connection_config()) as conn:
        conn.execute("load delta")
        row = conn.execute(
            f"select count(*) from delta_scan('{RAW_EVENTS.path(settings.lake_root)}')"
        ).fetchone()
    return int(row[0]) if row else 0


def _link_or_copy(source: str, destination: str) -> None:
    """Delta files are immutable and every write adds new ones, so a hard link lets the
    incremental step append without touching the prepared lake, in no time and no space; a
    copy where the two folders are on different file systems."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _prepare_lake(directory: Path, events: int, new_events: int) -> dict[str, Any]:
    """Make `directory/lake` (raw Delta tables holding all but the newest ~`new_events` of about
    `events + new_events` simulated messages) and `directory/new/*.jsonl` (those newest), then
    write `directory/READY` last, so its presence means the lake is complete. Returns the READY
    description."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    lake = Settings(lake_root=directory / "lake", pii_salt=SecretStr("bench-salt"))
    customers = max(100, round((events + new_events) / (MESSAGES_PER_CUSTOMER_DAY * DAYS)))
    config = SimulationConfig(seed=SEED, customers=customers, days=DAYS, duplicate_share=0.02)
    started = time.perf_counter()
    write_jsonl(simulate(config, workers=os.cpu_count() or 1), directory / "jsonl")
    simulate_seconds = time.perf_counter() - started
    bulk = _split_latest(directory / "jsonl", new_events, directory / "bulk", directory / "new")
    started = time.perf_counter()
    backfill_files(lake, bulk, None)
    backfill_seconds = time.perf_counter() - started
    (directory / "jsonl" / "truth.json").rename(directory / "truth.json")
    shutil.rmtree(directory / "jsonl")
    shutil.rmtree(directory / "bulk")
    description = {
        "requested_events": events,
        "held_out_events": new_events,
        "raw_events": _raw_events(lake),
        "held_out_files": "new/*.jsonl (the newest messages by event time, not in the lake)",
        "days": DAYS,
        "start_date": config.start_date.isoformat(),
        "customers": customers,
        "seed": SEED,
        "duplicate_share": config.duplicate_share,
        "made_by": "bench/bench_dbt.py: simulator (JSONL) -> ingest.backfill into lake/raw",
        "simulate_to_jsonl_seconds": round(simulate_seconds, 1),
        "backfill_seconds": round(backfill_seconds, 1),
    }
    (directory / READY).write_text(orjson.dumps(description).decode() + "\n")
    return description


def prepared_lake(directory: Path, events: int, new_events: int) -> dict[str, Any]:
    """The READY description of the prepared lake in `directory`, made first unless a complete
    one for the same events, held-out events and seed is there."""
    with contextlib.suppress(FileNotFoundError, orjson.JSONDecodeError):
        ready: dict[str, Any] = orjson.loads((directory / READY).read_bytes())
        if (ready["requested_events"], ready["held_out_events"], ready["seed"]) == (
            events,
            new_events,
            SEED,
        ):
            return ready
    return _prepare_lake(directory, events, new_events)


def _noop_build_seconds(settings: Settings, root: Path) -> float:
    """Wall seconds of `dbt build --empty` on a database of empty tables: every node of a build,
    no rows. A first `--full-refresh --empty` build creates the tables and is not timed."""
    empty = settings.model_copy(update={"duckdb_build_path": root / "floor" / "build.duckdb"})
    target = root / "floor" / "dbt-target"
    args = ["build", "--empty", "--exclude-resource-type", "unit_test"]
    run_dbt([*args, "--full-refresh"], empty, target_path=target, capture=True)
    _, seconds, _ = _measured(lambda: run_dbt(args, empty, target_path=target, capture=True))
    return seconds


def run() -> dict[str, Any]:
    logging.basicConfig(level=logging.WARNING)
    events = int(os.environ.get("ACME_BENCH_DBT_EVENTS", "10000000"))
    new_events = int(os.environ.get("ACME_BENCH_DBT_NEW_EVENTS", "100000"))
    root = Path(tempfile.mkdtemp(prefix="bench-dbt-"))
    kept = os.environ.get("ACME_BENCH_DBT_LAKE")
    prepared = Path(kept) if kept else root / "prepared"
    try:
        ready = prepared_lake(prepared, events, new_events)
        shutil.copytree(prepared / "lake", root / "lake", copy_function=_link_or_copy)
        settings = Settings(
            lake_root=root / "lake",
            duckdb_build_path=root / "warehouse" / "build.duckdb",
            duckdb_serving_path=root / "warehouse" / "serving.duckdb",
            pii_salt=SecretStr("bench-salt"),
        )
        raw_before = _raw_events(settings)
        load_before = os.getloadavg()[0]

        target = root / "dbt-target"
        _, full_seconds, full_rss = _measured(
            lambda: build(settings, full_refresh=True, target_path=target, capture=True)
        )
        _, publish_seconds, _ = _measured(lambda: publish(settings))
        backfill_files(settings, sorted((prepared / "new").glob("*.jsonl")), None)
        raw_after = _raw_events(settings)
        _, incremental_seconds, incremental_rss = _measured(
            lambda: build(settings, target_path=target, capture=True)
        )
        with duckdb.connect(str(settings.duckdb_build_path), read_only=True) as conn:
            order_lines = conn.execute("select count(*) from marts.fct_order_lines").fetchone()
        noop_seconds = _noop_build_seconds(settings, root)
        return {
            "raw_events_full_build": raw_before,
            "raw_events_added": raw_after - raw_before,
            "order_lines": order_lines[0] if order_lines else 0,
            "full_build_seconds": round(full_seconds, 1),
            "full_build_peak_rss_mib": round(full_rss / 2**20),
            "incremental_build_seconds": round(incremental_seconds, 1),
            "incremental_build_peak_rss_mib": round(incremental_rss / 2**20),
            "publish_seconds": round(publish_seconds, 1),
            "noop_build_seconds": round(noop_seconds, 1),
            "target_full_build_seconds": 180,
            "target_incremental_build_seconds": 20,
            "load_average_1m": {"before": load_before, "after": os.getloadavg()[0]},
            "prepared_lake": ready,
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)
