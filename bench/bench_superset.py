"""Chart query time per dashboard at 10M raw events: p50/p95 of Superset's chart data API, uncached.

Everything Superset reads comes from one lake of raw events, produced the production way:
- the marts: `dbt build` of dbt_project over the lake's raw table into a build database of this
  benchmark, then `publish`: the serving copy Superset opens;
- the live per-minute metrics: the ingester's own `LiveAggregator` over the same events, moved in
  time so the newest event is now (Executive Live shows the last 24 h, 1 h and 15 min), then
  expired to the live table's retention like the maintenance job does;
- dead letters: an empty table (a healthy ingest).

The lake is `ACME_BENCH_SUPERSET_LAKE` (read only, e.g. the 10M-event lake the dbt benchmark
makes), else one made here like bench_dbt's: simulate -> JSONL -> ingest backfill of
`ACME_BENCH_SUPERSET_EVENTS` (10,000,000) events, which takes many minutes.

A real Superset (its own environment, `acme-superset up`) then answers each chart of each desktop
dashboard `ROUNDS` times with `force=true`, so every timing includes the DuckDB query, never
Superset's cache (phone layouts run the same charts). Wall times depend on the machine's load;
the CPU seconds of Superset's process tree per request are the steadier figure.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import psutil
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import requests
from deltalake import DeltaTable, write_deltalake
from pydantic import SecretStr

from acme.settings import REPO_ROOT, Settings
from acme.warehouse.dbt import build
from acme.warehouse.publish import publish
from ingest import maintenance
from ingest.backfill import backfill_files
from ingest.live_metrics import OBSERVED_TYPES, SESSION_TYPES, LiveAggregator, StoredEvent
from ingest.tables import DEAD_LETTERS, LIVE_MINUTE_METRICS, RAW_EVENTS
from orchestration.maintenance.assets import RETENTION_DAYS
from simulator import SimulationConfig, simulate
from simulator.sinks import write_jsonl

ROUNDS = 7
TARGET_P95_SECONDS = 1.0
SUPERSET = REPO_ROOT / "superset" / ".venv" / "bin" / "acme-superset"
SIMULATED_DAYS = 30
# Measured on the simulator: 10,116,387 raw events from 224,444 customers in 30 days.
EVENTS_PER_CUSTOMER_DAY = 1.5
MART_TABLES = ("fct_orders", "fct_order_lines", "sales_order_lines", "fct_payments")


def simulated_lake(root: Path, events: int) -> Path:
    """A new lake of about `events` raw events: simulator -> JSONL -> ingest backfill."""
    customers = max(100, round(events / (EVENTS_PER_CUSTOMER_DAY * SIMULATED_DAYS)))
    config = SimulationConfig(seed=2026, customers=customers, days=SIMULATED_DAYS)
    write_jsonl(simulate(config), root / "jsonl")
    settings = Settings(lake_root=root / "lake", pii_salt=SecretStr("bench-salt"))
    backfill_files(settings, sorted((root / "jsonl").glob("*.jsonl")), None)
    shutil.rmtree(root / "jsonl")
    return root / "lake"


def live_tables(raw_lake: Path, lake_root: Path) -> int:
    """The live minute metrics of every raw event, fed day by day in event order to the ingester's
    aggregator, shifted to end now and expired to retention; plus an empty dead-letter table."""
    events = DeltaTable(str(RAW_EVENTS.path(raw_lake))).to_pyarrow_dataset()
    dates = events.to_table(columns=["event_date", "event_time"])
    now = datetime.now(UTC)
    shift = pa.scalar(now - pc.max(dates["event_time"]).as_py(), pa.duration("us"))
    relevant = pads.field("event_type").isin(pa.array(sorted(OBSERVED_TYPES | SESSION_TYPES)))
    observed = pa.array(sorted(OBSERVED_TYPES))
    aggregator = LiveAggregator()
    live_path = str(LIVE_MINUTE_METRICS.path(lake_root))
    for day in sorted(pc.unique(dates["event_date"]).to_pylist()):
        batch = events.to_table(
            columns=["event_id", "event_type", "event_time", "payload"],
            filter=relevant & (pads.field("event_date") == pa.scalar(day, pa.date32())),
        ).sort_by("event_time")
        batch = batch.set_column(2, "event_time", pc.add(batch["event_time"], shift))
        for row in batch.filter(pc.is_in(batch["event_type"], observed)).to_pylist():
            event = StoredEvent(
                row["event_id"], row["event_type"], row["event_time"], row["payload"].encode()
            )
            aggregator.observe(event, count=True)
        aggregator.observe_activity(batch)
        # One commit per day, in time order, as the ingester's flushes leave it.
        write_deltalake(live_path, aggregator.drain(now), mode="append")
    # Then the nightly maintenance: expire past retention, bin-pack the files.
    maintenance.expire(lake_root, "live", keep_days=RETENTION_DAYS["live"])
    maintenance.compact(lake_root, "live")
    write_deltalake(
        str(DEAD_LETTERS.path(lake_root)),
        pa.Table.from_pylist([], schema=DEAD_LETTERS.schema),
        mode="overwrite",
    )
    return int(DeltaTable(live_path).to_pyarrow_dataset().count_rows())


def _row_counts(serving: Path) -> dict[str, int]:
    with duckdb.connect(str(serving), read_only=True) as conn:
        return {
            table: int(conn.execute(f"select count(*) from marts.{table}").fetchone()[0])  # type: ignore[index]
            for table in MART_TABLES
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            # The reports' Redis on a free port too, so a Redis on 6379 does not stop the benchmark.
            [str(SUPERSET), "up", "--port", str(port), "--workers", "2", "--broker-port",
             str(_free_port())],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 600
    while b"\nready http" not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"Superset did not come up:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.5)
    return process


def _cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """User + system CPU time of the Superset server's process tree so far."""
    total = 0.0
    root = psutil.Process(process.pid)
    for member in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = member.cpu_times()
            total += times.user + times.system
    return total


def _session(url: str, password: str) -> requests.Session:
    http = requests.Session()
    login = http.post(
        f"{url}/api/v1/security/login",
        json={"username": "admin", "password": password, "provider": "db"},
        timeout=60,
    )
    login.raise_for_status()
    http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    return http


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(url: str, password: str, server: subprocess.Popen[bytes]) -> dict[str, Any]:
    """p50/p95/max of uncached chart data requests and the server's CPU per request, per
    desktop dashboard."""
    http = _session(url, password)
    results: dict[str, Any] = {}
    for dashboard in http.get(f"{url}/api/v1/dashboard/?q=(page_size:100)", timeout=60).json()[
        "result"
    ]:
        if dashboard["slug"].endswith("-phone"):
            continue
        charts = http.get(f"{url}/api/v1/dashboard/{dashboard['id']}/charts", timeout=60).json()
        timings: list[float] = []
        cpu_before = _cpu_seconds(server)
        for _ in range(ROUNDS):
            for chart in charts["result"]:
                started = time.perf_counter()
                response = http.get(
                    f"{url}/api/v1/chart/{chart['id']}/data/?force=true", timeout=120
                )
                timings.append(time.perf_counter() - started)
                response.raise_for_status()
        results[dashboard["slug"]] = {
            "charts": len(charts["result"]),
            "requests": len(timings),
            "p50_seconds": round(statistics.median(timings), 3),
            "p95_seconds": round(_percentile(timings, 0.95), 3),
            "max_seconds": round(max(timings), 3),
            "server_cpu_seconds_per_request": round(
                (_cpu_seconds(server) - cpu_before) / len(timings), 3
            ),
        }
    return results


def run() -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="bench-superset-"))
    try:
        given = os.environ.get("ACME_BENCH_SUPERSET_LAKE")
        if given:
            raw_lake = Path(given)
        else:
            events = int(os.environ.get("ACME_BENCH_SUPERSET_EVENTS", "10000000"))
            print(f"simulating a lake of about {events:,} raw events...", flush=True)
            raw_lake = simulated_lake(root / "simulated", events)
        lake_root = root / "lake"
        settings = Settings(
            lake_root=raw_lake,
            duckdb_build_path=root / "warehouse" / "build.duckdb",
            duckdb_serving_path=root / "warehouse" / "serving.duckdb",
            pii_salt=SecretStr("bench-salt"),
        )
        print(f"building the warehouse from {raw_lake}...", flush=True)
        started = time.perf_counter()
        build(settings, full_refresh=True, target_path=root / "dbt-target", capture=True)
        publish(settings)
        build_seconds = time.perf_counter() - started
        print("computing the live metrics...", flush=True)
        live_rows = live_tables(raw_lake, lake_root)
        raw_events = DeltaTable(str(RAW_EVENTS.path(raw_lake))).to_pyarrow_dataset().count_rows()
        data = {
            "lake": str(raw_lake) if given else "simulated",
            "raw_events": raw_events,
            "rows": {**_row_counts(settings.duckdb_serving_path), "live_minute_metrics": live_rows},
            "warehouse_build_and_publish_seconds": round(build_seconds, 1),
        }
        password = secrets.token_urlsafe(16)
        env = {
            **os.environ,
            "ACME_ENVIRONMENT": "ci",
            "SUPERSET_SECRET_KEY": secrets.token_urlsafe(48),
            "SUPERSET_HOME": str(root / "superset"),
            "SUPERSET_CONFIG_PATH": str(REPO_ROOT / "superset_config.py"),
            "ACME_LAKE_ROOT": str(lake_root),
            "ACME_DUCKDB_SERVING_PATH": str(settings.duckdb_serving_path),
            **{f"SUPERSET_{user}_PASSWORD": password
               for user in ("ADMIN", "ANALYST", "VIEWER", "MANAGER_CA", "SVC_API")},
        }  # fmt: skip
        port = _free_port()
        print("starting Superset...", flush=True)
        process = _start(env, port, root / "superset.log")
        try:
            load_before = os.getloadavg()[0]
            dashboards = measure(f"http://127.0.0.1:{port}", password, process)
            load_after = os.getloadavg()[0]
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "data": data,
        "rounds": ROUNDS,
        "target_p95_seconds": TARGET_P95_SECONDS,
        "load_average_1m": {"before": round(load_before, 2), "after": round(load_after, 2)},
        "dashboards": dashboards,
    }
