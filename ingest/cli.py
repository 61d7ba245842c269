"""`acme ingest`, `acme backfill` and `acme lake compact|vacuum`: the ingest commands."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click

from acme.settings import load_settings
from ingest import maintenance

log = logging.getLogger(__name__)


@click.command("ingest")
@click.option(
    "--until-idle",
    is_flag=True,
    help="Exit once every partition is written up to its end (used by `make pipeline` and tests).",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port of /metrics, /healthz, /readyz on 127.0.0.1 (default: ACME_INGEST_METRICS_PORT).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Ingest processes sharing the partitions (use the cores when catching up).",
)
@click.option("--shard", type=str, default=None, hidden=True, help="i/N: run as worker i of N.")
def ingest_command(
    until_idle: bool, metrics_port: int | None, workers: int, shard: str | None
) -> None:
    """Consume the project's topics into the raw, dead-letter and live Delta tables, exactly once.

    SIGTERM or Ctrl-C flushes and commits the pending micro-batch, then exits 0.
    """
    from ingest.ingester import FlushPolicy, Ingester, Shard
    from ingest.metrics import IngestMetrics, serve
    from ingest.supervisor import run_workers

    settings = load_settings()
    port = settings.ingest_metrics_port if metrics_port is None else metrics_port
    if workers > 1:
        sys.exit(run_workers(workers, until_idle=until_idle, metrics_port=port))
    own = Shard(0, 1)
    if shard is not None:
        index, count = (int(part) for part in shard.split("/"))
        own = Shard(index, count)
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stop requested; flushing", extra={"signal": signal.Signals(signum).name})
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    metrics = IngestMetrics()
    server = serve(metrics, port)
    policy = FlushPolicy(
        max_records=settings.ingest_flush_max_records,
        max_bytes=settings.ingest_flush_max_bytes,
        max_latency_s=settings.ingest_flush_interval_s,
    )
    try:
        summary = Ingester(settings, policy, metrics, own).run(stop, until_idle=until_idle)
    finally:
        server.shutdown()
    click.echo(
        f"ingested {summary.raw_events} events, {summary.dead_letters} dead letters "
        f"in {summary.batches} commits",
        err=True,
    )


@click.command("backfill")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="YAML mapping from a foreign layout to event envelopes (see ingest/mappings/).",
)
def backfill_command(files: tuple[Path, ...], mapping: Path | None) -> None:
    """Load JSONL, Parquet or CSV files of events into the raw table; re-running adds nothing."""
    from ingest.backfill import BackfillError, backfill_files, load_mapping

    settings = load_settings()
    try:
        report = backfill_files(
            settings, list(files), load_mapping(mapping) if mapping is not None else None
        )
    except BackfillError as error:
        raise click.ClickException(str(error)) from None
    for line in report:
        click.echo(line, err=True)


@click.group("lake")
def lake_group() -> None:
    """Maintenance of the ingest tables: compaction and vacuum."""


_TABLES = click.Choice([*maintenance.TABLES, "all"])


@lake_group.command("compact")
@click.option("--table", "table", type=_TABLES, default="all", show_default=True)
def compact_command(table: str) -> None:
    """Merge small files (Delta OPTIMIZE); readers and the ingester keep running."""
    settings = load_settings()
    for name in maintenance.TABLES if table == "all" else [table]:
        result = maintenance.compact(settings.lake_root, name)
        click.echo(f"{name}: {result}", err=True)


@lake_group.command("vacuum")
@click.option("--table", "table", type=_TABLES, default="all", show_default=True)
@click.option(
    "--retention-hours",
    type=click.IntRange(min=0),
    default=maintenance.DEFAULT_VACUUM_RETENTION_HOURS,
    show_default=True,
    help="Keep files removed more recently than this, for readers still on older versions.",
)
def vacuum_command(table: str, retention_hours: int) -> None:
    """Delete files no longer referenced by the table (after compaction or retention)."""
    settings = load_settings()
    for name in maintenance.TABLES if table == "all" else [table]:
        deleted = maintenance.vacuum(settings.lake_root, name, retention_hours=retention_hours)
        click.echo(f"{name}: deleted {len(deleted)} files", err=True)
