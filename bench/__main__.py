"""Run every benchmark module (or those named on the command line) and write its JSON result."""

from __future__ import annotations

import importlib
import json
import pkgutil
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import bench

RESULTS = Path(__file__).parent / "results"


def main(names: list[str]) -> None:
    modules = sorted(
        info.name for info in pkgutil.iter_modules(bench.__path__) if info.name.startswith("bench_")
    )
    selected = [m for m in modules if not names or m.removeprefix("bench_") in names]
    RESULTS.mkdir(exist_ok=True)
    for name in selected:
        print(f"==> {name}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        result = importlib.import_module(f"bench.{name}").run()
        document = {
            "benchmark": name.removeprefix("bench_"),
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
            "wall_seconds": round(time.perf_counter() - started, 2),
            "results": result,
        }
        path = RESULTS / f"{name.removeprefix('bench_')}.json"
        path.write_text(json.dumps(document, indent=2) + "\n")
        print(json.dumps(result, indent=2), file=sys.stderr)
    if not selected:
        print("no benchmarks matched", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
