"""Reading what a real process wrote: spans from the JSON-lines traces file, JSON log lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LOG_KEYS = {"time", "level", "logger", "message", "stage"}


def spans(path: Path) -> list[dict[str, Any]]:
    """Every span in a traces file (one JSON object per line)."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def hex_id(value: str) -> str:
    """A span file's `0x`-prefixed trace or span id as W3C/log lines write it."""
    return value.removeprefix("0x")


def json_log_lines(stderr: str, stage: str) -> list[dict[str, Any]]:
    """Parse every line of a process's stderr as a JSON log record of `stage`; fail on any line
    that is not one (so an unstructured line anywhere fails the format test)."""
    records = []
    for line in stderr.splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        assert isinstance(record, dict), line
        missing = LOG_KEYS - record.keys()
        assert not missing, f"log line without {missing}: {line}"
        assert record["stage"] == stage, line
        assert record["level"] in {"debug", "info", "warning", "error", "critical"}, line
        records.append(record)
    return records
