"""JSON log lines for Superset's processes: the pipeline's layout (acme/telemetry/logs.py) with
stage `superset`. Light on purpose (no Superset import): the `acme-superset` CLI uses it too."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from opentelemetry import trace

STAGE = "superset"

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON line: time, level, logger, message, stage, trace and span ids, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "stage": STAGE,
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            document["trace_id"] = trace.format_trace_id(span.trace_id)
            document["span_id"] = trace.format_span_id(span.span_id)
        document.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)


def json_handler() -> logging.Handler:
    """A stderr handler writing JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    return handler
