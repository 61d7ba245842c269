"""Answer a data-subject access request: one zip with everything held about the subject.

Each record set is in the zip twice, as JSON (typed values, nested payloads parsed) and as CSV
(for spreadsheets), and `manifest.json` lists them with their row counts and SHA-256 digests.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from acme.privacy.subject import (
    Subject,
    dead_letters_of,
    raw_events_of,
    resolve_subject,
    served_rows_of,
)
from acme.settings import Settings


@dataclass(frozen=True)
class SubjectExport:
    """Where the bundle was written and what it holds."""

    path: Path
    subject: Subject
    rows: dict[str, int]


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _records(table: pa.Table) -> list[dict[str, Any]]:
    records = []
    for row in table.to_pylist():
        record = {name: _json_value(value) for name, value in row.items()}
        if isinstance(record.get("payload"), str):
            record["payload"] = json.loads(record["payload"])
        records.append(record)
    return records


def _csv_bytes(table: pa.Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow([_json_value(value) for value in row.values()])
    return buffer.getvalue().encode("utf-8")


def record_sets(settings: Settings, subject: Subject) -> dict[str, pa.Table]:
    """Every record set about the subject, by the name it has in the bundle."""
    return {
        "raw_events": raw_events_of(settings, subject),
        "dead_letters": dead_letters_of(settings, subject),
        **served_rows_of(settings.duckdb_serving_path, subject),
    }


def export_subject(settings: Settings, identifier: str, out_dir: Path) -> SubjectExport:
    """Write `subject-<customer id>-<UTC time>.zip` into `out_dir` and return what it holds."""
    subject = resolve_subject(settings, identifier)
    generated_at = datetime.now(UTC)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"subject-{subject.customer_id}-{generated_at:%Y%m%dT%H%M%SZ}.zip"
    manifest: dict[str, Any] = {
        "subject": {
            "customer_id": subject.customer_id,
            "emails": sorted(subject.emails),
            "device_ids": sorted(subject.device_ids),
        },
        "requested_as": identifier,
        "generated_at": generated_at.isoformat(),
        "record_sets": [],
    }
    rows: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, table in record_sets(settings, subject).items():
            files = {
                f"{name}.json": json.dumps(_records(table), indent=2).encode("utf-8"),
                f"{name}.csv": _csv_bytes(table),
            }
            for file_name, content in files.items():
                bundle.writestr(file_name, content)
            rows[name] = table.num_rows
            manifest["record_sets"].append(
                {
                    "name": name,
                    "rows": table.num_rows,
                    "files": {
                        file_name: hashlib.sha256(content).hexdigest()
                        for file_name, content in files.items()
                    },
                }
            )
        bundle.writestr("manifest.json", json.dumps(manifest, indent=2))
    return SubjectExport(path=path, subject=subject, rows=rows)
