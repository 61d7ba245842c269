"""Fixtures of the orchestration tests: settings on a private lake and Dagster home, a real SMTP
receiver (aiosmtpd) and a real HTTP webhook receiver, and a small raw lake writer."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from acme.settings import Environment, Settings
from ingest.tables import DEAD_LETTERS, RAW_EVENTS
from ingest.writer import DeltaAppender
from tests.conftest import free_port


@dataclass
class SmtpReceiver:
    """A real SMTP server on 127.0.0.1 that keeps every message it accepts."""

    port: int
    messages: list[Message] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(message_from_bytes(envelope.content))  # type: ignore[arg-type]
        self.arrived.set()
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    """A running SMTP receiver, stopped after the test."""
    receiver = SmtpReceiver(port=free_port())
    controller = Controller(receiver, hostname="127.0.0.1", port=receiver.port)
    controller.start()
    yield receiver
    controller.stop()


@dataclass
class HttpReceiver:
    """A real HTTP server on 127.0.0.1 that keeps the JSON body of every POST."""

    port: int
    posts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/alerts"


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    """A running webhook receiver, stopped after the test."""
    receiver = HttpReceiver(port=free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.posts.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test output is for the assertions."""

    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def orchestration_settings(
    tmp_path: Path, lake_root: Path, smtp_receiver: SmtpReceiver, http_receiver: HttpReceiver
) -> Settings:
    """Settings for one test: a private lake and Dagster home, alerts to the test receivers."""
    return Settings(
        environment=Environment.CI,
        lake_root=lake_root,
        duckdb_build_path=lake_root / "warehouse" / "build.duckdb",
        duckdb_serving_path=lake_root / "warehouse" / "serving.duckdb",
        dagster_home=tmp_path / "dagster",
        alert_smtp_host="127.0.0.1",
        alert_smtp_port=smtp_receiver.port,
        alert_email_to="oncall@acme.test,data@acme.test",
        alert_webhook_url=http_receiver.url,
        alert_dead_letter_threshold=5,
    )


SERVICES = ("orders", "payments", "cart", "catalog")


def raw_event_rows(
    day: date, count: int, first_offset: int, services: tuple[str, ...] = SERVICES
) -> pa.Table:
    """`count` well-formed raw event rows on `day`, spread evenly over `services`."""
    rows = []
    for index in range(count):
        service = services[index % len(services)]
        at = datetime.combine(day, time(0, 0), tzinfo=UTC) + timedelta(seconds=index * 60)
        rows.append(
            {
                "event_id": str(uuid.uuid4()),
                "event_type": f"{service.capitalize()}Updated",
                "schema_version": 1,
                "event_time": at,
                "event_date": day,
                "source_service": service,
                "correlation_id": str(uuid.uuid4()),
                "causation_id": None,
                "payload": "{}",
                "topic": f"acme.{service}",
                "partition": 0,
                "offset": first_offset + index,
            }
        )
    return pa.Table.from_pylist(rows, schema=RAW_EVENTS.appended_schema)


def write_raw_days(lake_root: Path, days: list[date], per_day: int) -> None:
    """Append `per_day` events for each day to the raw events table, one commit per day."""
    table = DeltaAppender(RAW_EVENTS.path(lake_root), RAW_EVENTS)
    for number, day in enumerate(days):
        table.append(raw_event_rows(day, per_day, first_offset=number * per_day), {})


def write_dead_letters(lake_root: Path, count: int) -> None:
    """Append `count` dead letters (bad JSON) in one commit."""
    now = datetime.now(UTC)
    rows = [
        {
            "topic": "acme.orders",
            "partition": 0,
            "offset": index,
            "key": None,
            "raw": b"{not json",
            "reason": "malformed_json",
            "detail": "Expecting property name",
            "received_at": now,
        }
        for index in range(count)
    ]
    DeltaAppender(DEAD_LETTERS.path(lake_root), DEAD_LETTERS).append(
        pa.Table.from_pylist(rows, schema=DEAD_LETTERS.schema), {}
    )
