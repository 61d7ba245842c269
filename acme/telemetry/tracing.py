"""Tracing with OpenTelemetry: one tracer provider per process, exporting to a collector or a file.

With `OTEL_EXPORTER_OTLP_ENDPOINT` set (the standard variable, e.g. http://collector:4318), spans
go to that collector over OTLP/HTTP; otherwise they are appended as JSON lines (one span per line,
the SDK's own JSON form) to `ACME_TRACES_PATH`. Trace context crosses process boundaries the
way OpenTelemetry specifies for environment variables: a parent puts its span into `TRACEPARENT`
for the child it starts (dbt), and `acme` commands continue a `TRACEPARENT` they are given.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from acme.settings import ConfigError, Settings

_PROPAGATOR = TraceContextTextMapPropagator()


def configure_tracing(stage: str, settings: Settings) -> None:
    """Install this process's tracer provider, naming the service `acme-<stage>` (once per
    process: later calls keep the first provider, as OpenTelemetry allows only one)."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"acme-{stage}", "acme.stage": stage})
    )
    provider.add_span_processor(BatchSpanProcessor(span_exporter(settings)))
    trace.set_tracer_provider(provider)


def span_exporter(settings: Settings) -> SpanExporter:
    """OTLP/HTTP to the configured collector, else JSON lines appended to the traces file."""
    if settings.otel_exporter_otlp_endpoint:
        base = settings.otel_exporter_otlp_endpoint.rstrip("/")
        return OTLPSpanExporter(endpoint=f"{base}/v1/traces")
    return ConsoleSpanExporter(out=_open_traces_file(settings.traces_path), formatter=_json_line)


def _open_traces_file(path: Path) -> TextIO:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Line-buffered appends: each span is one write, so processes sharing the file never
        # interleave inside a line.
        return path.open("a", buffering=1, encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"invalid configuration: ACME_TRACES_PATH={path} cannot be written ({error.strerror})"
        ) from None


def _json_line(span: ReadableSpan) -> str:
    return str(span.to_json(indent=None)) + "\n"


def child_environment(parent: context.Context | None = None) -> dict[str, str]:
    """`TRACEPARENT` (and `TRACESTATE`) for a child process, carrying the span of `parent` (by
    default the current one)."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=parent)
    return {name.upper(): value for name, value in carrier.items()}


def context_from_environment() -> context.Context:
    """The trace context a parent process handed over in `TRACEPARENT`, if any."""
    carrier = {
        name: os.environ[name.upper()]
        for name in ("traceparent", "tracestate")
        if name.upper() in os.environ
    }
    return _PROPAGATOR.extract(carrier)
