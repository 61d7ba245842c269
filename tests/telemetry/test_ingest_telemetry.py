"""`acme ingest` traced and logged for real: a span per committed batch (size, topics, offsets,
correlation ids) to the traces file or to an OTLP/HTTP collector, and JSON log lines that point
at those spans."""

from __future__ import annotations

import gzip
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

import tests.ingest.ingest_factories as f
from acme.settings import Settings
from tests.ingest.ingest_helpers import ingest_env, produce
from tests.telemetry.telemetry_helpers import hex_id, json_log_lines, spans

pytestmark = pytest.mark.kafka

ACME = str(Path(sys.executable).parent / "acme")


def _orders(count: int) -> tuple[list[tuple[str, bytes, bytes]], set[str]]:
    messages, correlation_ids = [], set()
    for _ in range(count):
        order, session = str(uuid.uuid4()), str(uuid.uuid4())
        value = f.order_placed(order, session, total="12.00", region="ARA", at=f.BASE_TIME)
        correlation_ids.add(f.orjson.loads(value)["correlation_id"])
        messages.append(("orders", order.encode(), value))
    messages.append(("orders", b"bad", b"{not json"))
    return messages, correlation_ids


def _ingest(settings: Settings, **env: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [ACME, "ingest", "--until-idle"],
        env={**ingest_env(settings), **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_every_batch_is_a_span_with_its_records_and_the_logs_point_at_it(
    settings: Settings, tmp_path: Path
) -> None:
    messages, correlation_ids = _orders(30)
    produce(settings, messages)
    traces = tmp_path / "spans.jsonl"

    result = _ingest(settings, ACME_TRACES_PATH=str(traces))

    batches = [s for s in spans(traces) if s["name"] == "ingest batch"]
    assert batches, "no batch span"
    attributes = [b["attributes"] for b in batches]
    assert sum(a["messaging.batch.message_count"] for a in attributes) == 31
    assert sum(a["acme.batch.raw_events"] for a in attributes) == 30
    assert sum(a["acme.batch.dead_letters"] for a in attributes) == 1
    topic = f"{settings.kafka_topic_prefix}orders"
    assert all(a["messaging.destination.name"] == [topic] for a in attributes)
    # The offsets named on the spans cover every record on the partitions, each exactly once.
    covered = []
    for a in attributes:
        for entry in a["acme.kafka.offsets"]:
            partition_name, offsets = entry.split(":")
            first, last = (int(x) for x in offsets.split("-"))
            assert partition_name.startswith(f"{topic}/")
            covered += [(partition_name, o) for o in range(first, last + 1)]
    assert len(covered) == len(set(covered)) == 31
    # Correlation ids: bounded on each span, counted in full.
    assert sum(a["acme.correlation_id.count"] for a in attributes) == 30
    named = {c for a in attributes for c in a["acme.correlation_ids"]}
    assert named <= correlation_ids
    assert all(len(a["acme.correlation_ids"]) <= 20 for a in attributes)
    assert len(named) == min(30, 20 * len(batches))
    assert {b["resource"]["attributes"]["service.name"] for b in batches} == {"acme-ingest"}

    logs = json_log_lines(result.stderr.split("ingested ")[0], stage="ingest")
    committed = [r for r in logs if r["message"] == "batch committed"]
    assert len(committed) == len(batches)
    spans_by_id = {hex_id(b["context"]["span_id"]): b for b in batches}
    for record in committed:
        span = spans_by_id[record["span_id"]]
        assert hex_id(span["context"]["trace_id"]) == record["trace_id"]
        assert span["attributes"]["messaging.batch.message_count"] == record["records"]


class _Collector:
    """An OTLP/HTTP trace receiver: decodes what the exporter posts to /v1/traces."""

    def __init__(self) -> None:
        self.requests: list[ExportTraceServiceRequest] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                collector.requests.append(request)
                status = 200 if self.path == "/v1/traces" else 404
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def span_names(self) -> list[str]:
        return [
            span.name
            for request in self.requests
            for resource in request.resource_spans
            for scope in resource.scope_spans
            for span in scope.spans
        ]


@pytest.fixture
def collector() -> Iterator[_Collector]:
    receiver = _Collector()
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
    yield receiver
    receiver.server.shutdown()


def test_with_a_collector_configured_spans_go_to_it_over_otlp(
    settings: Settings, tmp_path: Path, collector: _Collector
) -> None:
    messages, _ = _orders(5)
    produce(settings, messages)
    traces = tmp_path / "spans.jsonl"

    _ingest(settings, OTEL_EXPORTER_OTLP_ENDPOINT=collector.url, ACME_TRACES_PATH=str(traces))

    assert "ingest batch" in collector.span_names()
    assert not traces.exists()
