"""Simulator throughput: messages per second from a seed to JSONL and to Parquet files
(generation, serialization, truth manifest and file writing included), with the regions generated
in parallel (as many processes as CPUs, at most one per region: region 0 in this process, the
others in worker processes) and, for reference, everything in one process.

Size: ACME_BENCH_SIM_CUSTOMERS (default 30,000) customers for ACME_BENCH_SIM_DAYS (default 7) days.
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from simulator import SimulationConfig, simulate
from simulator.sinks import write_jsonl, write_parquet

ATTEMPTS = 2  # per run, the best counts: the machine is shared and its neighbours come and go


def run() -> dict[str, Any]:
    config = SimulationConfig(
        seed=2026,
        days=int(os.environ.get("ACME_BENCH_SIM_DAYS", "7")),
        customers=int(os.environ.get("ACME_BENCH_SIM_CUSTOMERS", "30000")),
    )
    # More workers than cores only adds contention; more than regions is capped by simulate().
    workers = max(1, min(os.cpu_count() or 1, config.regions))
    results: dict[str, Any] = {"customers": config.customers, "days": config.days}
    with tempfile.TemporaryDirectory() as tmp:
        # A small untimed run first, so that the measured runs all find this process's modules
        # loaded (whichever runs first would otherwise pay for pyarrow's compute kernels and the
        # file cache); each measured run still starts its own worker processes.
        write_jsonl(simulate(SimulationConfig(seed=1, days=1, customers=500)), Path(tmp) / "warm")
        runs = (
            ("jsonl", write_jsonl, workers),
            ("parquet", write_parquet, workers),
            ("jsonl_one_process", write_jsonl, 1),
            ("parquet_one_process", write_parquet, 1),
        )
        for target, write, processes in runs:
            attempts = [
                _measure(config, write, processes, Path(tmp) / target) for _ in range(ATTEMPTS)
            ]
            best = max(attempts, key=lambda a: a["messages_per_second"])
            best["attempts_messages_per_second"] = [a["messages_per_second"] for a in attempts]
            results[target] = best
    results["target_messages_per_second"] = 100_000
    results["meets_target"] = {
        target: results[target]["messages_per_second"] >= 100_000 for target, _, _ in runs
    }
    results["note"] = (
        f"best of {ATTEMPTS} attempts per run (all attempts listed); wall-clock rates include "
        "the machine's other load (see load_average); cpu_seconds count this process and its "
        "workers, so messages_per_cpu_second is the work per core"
    )
    return results


def _measure(config: SimulationConfig, write: Any, workers: int, out: Path) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    run_ = simulate(config, workers=workers)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    main_started = time.process_time()
    write(run_, out)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    main_cpu = time.process_time() - main_started
    messages: int = run_.truth["messages"]
    size = sum(p.stat().st_size for p in out.iterdir())
    shutil.rmtree(out)  # every attempt writes to a fresh folder
    return {
        "messages": messages,
        "seconds": round(seconds, 2),
        "workers": workers,
        "messages_per_second": round(messages / seconds),
        "cpu_seconds": round(cpu, 2),
        "messages_per_cpu_second": round(messages / cpu),
        # This process alone: region 0's generation (with workers; all of it without), the
        # merge and the writing.
        "main_process_cpu_us_per_message": round(main_cpu / messages * 1e6, 2),
        "bytes_written": size,
        "load_average_1m_before": load_before,
    }


def _cpu_seconds() -> float:
    """CPU time of this process plus its finished child processes (the region workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
