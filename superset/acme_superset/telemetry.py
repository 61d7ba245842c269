"""Superset's share of the project's observability (docs/decisions/observability.md).

- JSON logs: one JSON object per line on stderr (time, level, logger, message, stage `superset`,
  trace and span ids), for Superset's loggers and gunicorn's, through `LOGGING_CONFIGURATOR`.
- Traces: a span per query on the serving DuckDB (database, SQL hash, rows, duration), continuing
  the `traceparent` header of the HTTP request that asked for it; exported like the pipeline's
  spans (OTLP/HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT`, else JSON lines to `ACME_TRACES_PATH`).
- Metrics: Prometheus query count, duration and rows at `/metrics`, summed over gunicorn's workers
  through prometheus-client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, set by `serve`).

Superset runs every chart, sample and SQL-validation query through `Database.get_df`, and offers
no hook that sees a query's end, so that one method is wrapped (`trace_serving_queries`).
Superset's environment cannot import the pipeline's `acme` package, hence this twin of
`acme.telemetry` (same record layout, same exporter choice, same variables).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flask
from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from superset.utils.logging_configurator import LoggingConfigurator

from acme_superset.context import REPO_ROOT
from acme_superset.logs import STAGE, JsonFormatter, json_handler

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

QUERIES = Counter(
    "acme_superset_queries",
    "Queries Superset ran on a database, by database and outcome (rate() gives queries/s)",
    ["database", "outcome"],
)
QUERY_SECONDS = Histogram(
    "acme_superset_query_seconds",
    "Time to run a query and fetch its rows into a data frame",
    ["database"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
QUERY_ROWS = Histogram(
    "acme_superset_query_rows",
    "Rows a query returned",
    ["database"],
    buckets=(0, 1, 10, 100, 1_000, 10_000, 50_000, 100_000),
)

# --- logs ---------------------------------------------------------------------------------------


class JsonLoggingConfigurator(LoggingConfigurator):
    """Superset's `LOGGING_CONFIGURATOR`: JSON lines on stderr for every logger, gunicorn's too."""

    def configure_logging(self, app_config: flask.config.Config, debug_mode: bool) -> None:
        root = logging.getLogger()
        root.handlers[:] = [json_handler()]
        root.setLevel(app_config["LOG_LEVEL"])
        logging.captureWarnings(True)
        if app_config["SILENCE_FAB"]:
            logging.getLogger("flask_appbuilder").setLevel(logging.ERROR)
        # gunicorn's workers log through handlers of their own; give them the same format.
        for name in ("gunicorn.error", "gunicorn.access"):
            for own in logging.getLogger(name).handlers:
                own.setFormatter(JsonFormatter())


# --- traces -------------------------------------------------------------------------------------


def configure_tracing() -> None:
    """The tracer provider of a Superset process (service `acme-superset`), once per process."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(
        resource=Resource.create({"service.name": "acme-superset", "acme.stage": STAGE})
    )
    provider.add_span_processor(BatchSpanProcessor(_span_exporter()))
    trace.set_tracer_provider(provider)


def _span_exporter() -> SpanExporter:
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if endpoint:
        return OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
    path = Path(os.environ.get("ACME_TRACES_PATH") or ".local/traces/spans.jsonl")
    path = path if path.is_absolute() else REPO_ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    # Line-buffered appends: one write per span, so processes sharing the file never interleave.
    out = path.open("a", buffering=1, encoding="utf-8")
    return ConsoleSpanExporter(out=out, formatter=lambda span: span.to_json(indent=None) + "\n")


def _request_context() -> context.Context | None:
    """The trace context of the HTTP request being served (its `traceparent` header), if any."""
    if not flask.has_request_context():
        return None
    headers = {name.lower(): value for name, value in flask.request.headers.items()}
    return TraceContextTextMapPropagator().extract(headers)


def _datasource() -> str | None:
    """The dataset a chart-data request queries (`table/7`), when the request names one."""
    if not flask.has_request_context():
        return None
    body = flask.request.get_json(silent=True)
    source = body.get("datasource") if isinstance(body, dict) else None
    if isinstance(source, dict) and "id" in source:
        return f"{source.get('type', 'table')}/{source['id']}"
    return None


def trace_serving_queries() -> None:
    """Wrap `Database.get_df` so every DuckDB query is a span, a log line and metrics."""
    from superset.models.core import Database

    if getattr(Database.get_df, "acme_traced", False):
        return
    get_df = Database.get_df

    @functools.wraps(get_df)
    def traced_get_df(self: Database, sql: str, *args: Any, **kwargs: Any) -> Any:
        if self.backend != "duckdb":
            return get_df(self, sql, *args, **kwargs)
        attributes: dict[str, Any] = {
            "db.system.name": "duckdb",
            "db.namespace": self.database_name,
            "acme.sql.sha256": hashlib.sha256(sql.encode()).hexdigest()[:16],
        }
        if flask.has_request_context():
            attributes["url.path"] = flask.request.path
        if (datasource := _datasource()) is not None:
            attributes["superset.datasource"] = datasource
        started = time.perf_counter()
        with tracer.start_as_current_span(
            "superset query", context=_request_context(), attributes=attributes
        ) as span:
            try:
                frame = get_df(self, sql, *args, **kwargs)
            except Exception:
                QUERIES.labels(self.database_name, "error").inc()
                raise
            seconds = time.perf_counter() - started
            rows = len(frame.index)
            span.set_attribute("db.response.returned_rows", rows)
            QUERIES.labels(self.database_name, "ok").inc()
            QUERY_SECONDS.labels(self.database_name).observe(seconds)
            QUERY_ROWS.labels(self.database_name).observe(rows)
            log.info(
                "serving query",
                extra={**attributes, "rows": rows, "duration_ms": round(seconds * 1000, 1)},
            )
        return frame

    traced_get_df.acme_traced = True  # type: ignore[attr-defined]
    Database.get_df = traced_get_df  # type: ignore[method-assign]


# --- metrics ------------------------------------------------------------------------------------


def serve_metrics(app: flask.Flask) -> None:
    """`/metrics` in Prometheus' text format: every gunicorn worker's counts when they share a
    `PROMETHEUS_MULTIPROC_DIR`, else this process's."""

    def metrics() -> flask.Response:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = REGISTRY
        return flask.Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "acme_metrics", metrics)


def instrument_app(app: flask.Flask) -> None:
    """Query spans, logs and metrics, and the `/metrics` endpoint."""
    configure_tracing()
    trace_serving_queries()
    serve_metrics(app)


def with_instrumentation(mutator: Callable[[flask.Flask], None]) -> Callable[[flask.Flask], None]:
    """A `FLASK_APP_MUTATOR` that runs `mutator`, then `instrument_app`."""

    def mutate(app: flask.Flask) -> None:
        mutator(app)
        instrument_app(app)

    return mutate
