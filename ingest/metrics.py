"""Prometheus metrics and the health endpoints of the ingester, served on 127.0.0.1.

`/metrics` (Prometheus text), `/healthz` (liveness: the main loop turned recently) and `/readyz`
(readiness: the broker answered and the lake accepted a commit or probe recently). The main loop
records facts here; the HTTP thread only reads them, so no Kafka or Delta client is shared across
threads.
"""

from __future__ import annotations

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)

LIVENESS_TIMEOUT_S = 60.0
"""The loop turns at least every poll timeout; a minute without a turn means it is stuck."""
READINESS_TIMEOUT_S = 30.0


class IngestMetrics:
    """The ingester's Prometheus metrics in a registry of its own, plus health facts."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "acme_ingest_events",
            "Kafka records written to the lake, by outcome (rate() gives events/s)",
            ["outcome"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "acme_ingest_dead_letters",
            "Records sent to the dead-letter table, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.suppressed = Counter(
            "acme_ingest_suppressed_events",
            "Valid events dropped because they name an erased customer (acme privacy erase)",
            registry=self.registry,
        )
        self.lag = Gauge(
            "acme_ingest_consumer_lag",
            "Records on the broker not yet in the lake",
            ["topic", "partition"],
            registry=self.registry,
        )
        self.freshness = Histogram(
            "acme_ingest_event_to_lake_seconds",
            "Delay from a record's Kafka timestamp to the Delta commit that holds it (the oldest "
            "record of each batch)",
            buckets=(0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300, 3600),
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "acme_ingest_batch_seconds",
            "Time to commit one micro-batch to all tables",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
            registry=self.registry,
        )
        self.batch_records = Histogram(
            "acme_ingest_batch_records",
            "Records per micro-batch",
            buckets=(1, 10, 100, 1000, 10_000, 50_000, 100_000),
            registry=self.registry,
        )
        self.last_commit = Gauge(
            "acme_ingest_last_commit_timestamp_seconds",
            "Unix time of the last micro-batch commit",
            registry=self.registry,
        )
        self._lock = threading.Lock()
        self._last_turn = time.monotonic()
        self._broker_ok_at: float | None = None
        self._lake_ok_at: float | None = None

    def loop_turned(self) -> None:
        with self._lock:
            self._last_turn = time.monotonic()

    def broker_answered(self, ok: bool) -> None:
        with self._lock:
            self._broker_ok_at = time.monotonic() if ok else None

    def lake_written(self, ok: bool) -> None:
        with self._lock:
            self._lake_ok_at = time.monotonic() if ok else None

    def is_live(self) -> bool:
        with self._lock:
            return time.monotonic() - self._last_turn < LIVENESS_TIMEOUT_S

    def readiness(self) -> dict[str, bool]:
        now = time.monotonic()
        with self._lock:
            return {
                "broker": self._broker_ok_at is not None
                and now - self._broker_ok_at < READINESS_TIMEOUT_S,
                "lake": self._lake_ok_at is not None
                and now - self._lake_ok_at < READINESS_TIMEOUT_S,
            }


def serve(metrics: IngestMetrics, port: int) -> ThreadingHTTPServer:
    """Serve /metrics, /healthz and /readyz on 127.0.0.1:`port` from a daemon thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._reply(200, generate_latest(metrics.registry), CONTENT_TYPE_LATEST)
            elif self.path == "/healthz":
                live = metrics.is_live()
                self._reply(200 if live else 503, b"ok\n" if live else b"stuck\n")
            elif self.path == "/readyz":
                checks = metrics.readiness()
                body = "".join(f"{k} {'ok' if v else 'failing'}\n" for k, v in checks.items())
                self._reply(200 if all(checks.values()) else 503, body.encode())
            else:
                self._reply(404, b"not found\n")

        def _reply(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Scrapes every few seconds would flood the logs; stay quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, name="ingest-metrics", daemon=True).start()
    log.info("serving metrics and health", extra={"port": server.server_address[1]})
    return server
