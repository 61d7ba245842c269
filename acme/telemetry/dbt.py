"""A dbt invocation's nodes as spans: dbt emits none itself, so its run_results.json is replayed
under the span of the invocation, one child span per node with dbt's own start and end times."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span

_tracer = trace.get_tracer(__name__)


def record_run_results(span: Span, run_results: Mapping[str, Any]) -> None:
    """Add the nodes of `run_results` under `span`: a child span per node that ran (its compile
    and execute phases, status, rows affected) and counts per status on `span` itself."""
    results = run_results.get("results", [])
    parent = trace.set_span_in_context(span)
    for result in results:
        timings = [
            t for t in result.get("timing", []) if t.get("started_at") and t.get("completed_at")
        ]
        if not timings:
            continue  # skipped nodes never started
        node = _tracer.start_span(
            f"dbt node {result['unique_id']}",
            context=parent,
            start_time=_nanoseconds(timings[0]["started_at"]),
            attributes={
                "dbt.node.unique_id": result["unique_id"],
                "dbt.node.status": str(result.get("status")),
                "dbt.node.execution_time_s": float(result.get("execution_time") or 0.0),
                "dbt.node.rows_affected": int(
                    (result.get("adapter_response") or {}).get("rows_affected") or 0
                ),
            },
        )
        if result.get("status") in {"error", "fail", "runtime error"}:
            node.set_status(trace.StatusCode.ERROR, str(result.get("message") or ""))
        node.end(end_time=_nanoseconds(timings[-1]["completed_at"]))
    span.set_attribute("dbt.nodes", len(results))
    for status, count in Counter(str(r.get("status")) for r in results).items():
        span.set_attribute(f"dbt.nodes.{status}", count)


def _nanoseconds(timestamp: str) -> int:
    """dbt's ISO timestamps (UTC, `Z` suffix) as nanoseconds since the epoch."""
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1e9)
