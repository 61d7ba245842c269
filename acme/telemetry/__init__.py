"""Observability of the pipeline's processes: JSON logs and OpenTelemetry traces.

Each process calls `start(stage)` once (the `acme` CLI does it for every command through
`instrument_command`; Dagster's dbt step does it in the step), which configures JSON logs on stderr
and the tracer provider. See docs/decisions/observability.md.
"""

from __future__ import annotations

import click
from opentelemetry import trace

from acme.settings import ConfigError, get_settings
from acme.telemetry.logs import configure_json_logging
from acme.telemetry.tracing import configure_tracing, context_from_environment

# `acme` subcommands that belong to the ingest stage; every other one is the `cli` stage.
INGEST_COMMANDS = frozenset({"ingest", "backfill", "lake"})


def start(stage: str) -> None:
    """JSON logs and tracing for this process, tagged with `stage` (ingest, cli, dagster)."""
    configure_json_logging(stage)
    try:
        settings = get_settings()
    except ConfigError:
        return  # no tracing: the command reports the configuration error itself
    configure_tracing(stage, settings)


def instrument_command(ctx: click.Context) -> None:
    """For the `acme` group: start telemetry for the subcommand about to run, and trace it in a
    span named after it that continues a `TRACEPARENT` handed down by a parent process. `acme
    ingest` runs for days, so it gets no such span: each of its batches is a trace of its own."""
    command = ctx.invoked_subcommand or ""
    try:
        start("ingest" if command in INGEST_COMMANDS else "cli")
    except ConfigError as error:  # an unwritable traces file
        raise click.ClickException(str(error)) from None
    if command != "ingest":
        span = trace.get_tracer(__name__).start_as_current_span(
            f"acme {command}", context=context_from_environment()
        )
        ctx.with_resource(span)
