"""Structured logs: one JSON object per line on stderr, for every stage of the pipeline.

Each line carries `time`, `level`, `logger`, `message`, the `stage` that wrote it (ingest, cli,
dagster), the `trace_id`/`span_id` of the span current when it was logged (so a log line leads to
its trace), the `extra` fields of the call, and the exception if any.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

import orjson
from opentelemetry import trace

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "taskName"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message, stage, trace ids, extras,
    exception. Also usable from `logging.config` dictionaries (Dagster's `python_logs`) as
    `{"()": "acme.telemetry.logs.JsonFormatter", "stage": "dagster"}`."""

    def __init__(self, stage: str) -> None:
        super().__init__()
        self.stage = stage

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "stage": self.stage,
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            document["trace_id"] = trace.format_trace_id(span.trace_id)
            document["span_id"] = trace.format_span_id(span.span_id)
        document.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(document, default=str).decode()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of each record, not at set-up: a command run
    in-process (click's test runner) swaps stderr and closes its copy afterwards."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> object:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def configure_json_logging(stage: str, level: int = logging.INFO) -> None:
    """Send every logger's records to stderr as JSON lines tagged with `stage` (idempotent)."""
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter(stage))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # kafka-python logs every reconnect attempt at WARNING/ERROR; keep it to real problems.
    logging.getLogger("kafka").setLevel(logging.ERROR)
