"""`acme ingest --workers N`: N ingest processes, each owning a stable share of the partitions.

kafka-python decodes records in pure Python, so one process tops out near one core; separate
processes use every core (see docs/decisions/ingest-throughput.md). Workers die with the
supervisor (PR_SET_PDEATHSIG), so a kill -9 of the supervisor leaves no orphan writing to the lake;
SIGTERM is forwarded so every worker flushes and commits.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel sends SIGKILL when the supervisor dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def run_workers(count: int, *, until_idle: bool, metrics_port: int) -> int:
    """Start `count` workers (`acme ingest --shard i/count`) and wait for all; return the worst
    exit code. Worker i serves its metrics on `metrics_port + i` (or a free port if 0)."""
    acme = str(Path(sys.executable).parent / "acme")
    workers = []
    for index in range(count):
        port = metrics_port + index if metrics_port else 0
        argv = [acme, "ingest", "--shard", f"{index}/{count}", "--metrics-port", str(port)]
        if until_idle:
            argv.append("--until-idle")
        workers.append(subprocess.Popen(argv, preexec_fn=_die_with_parent))
    log.info("workers started", extra={"pids": [w.pid for w in workers]})

    def forward(signum: int, _frame: FrameType | None) -> None:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    codes = [worker.wait() for worker in workers]
    return max(codes, key=abs)
