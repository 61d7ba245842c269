"""`acme simulate`: run the ACME world simulator into Kafka, JSONL or Parquet."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import click

from acme.settings import load_settings
from simulator.config import ConfigError, SimulationConfig
from simulator.run import simulate
from simulator.sinks import Progress, produce_to_kafka, write_jsonl, write_parquet, write_truth

# Live mode: roughly 12.5 messages per visiting customer and day (measured), every customer
# visiting about daily; the population is sized so the daily average matches --rate.
MESSAGES_PER_VISIT = 12.5


@click.command("simulate")
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same bytes.")
@click.option("--days", type=int, default=7, show_default=True, help="Length of the window.")
@click.option(
    "--start-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2026-03-02",
    show_default=True,
    help="First day of the window (history mode).",
)
@click.option("--customers", type=int, default=None, help="Customers at the start [2000].")
@click.option("--scale", type=float, default=1.0, show_default=True, help="Multiplies customers.")
@click.option("--products", type=int, default=600, show_default=True)
@click.option("--warehouses", type=int, default=4, show_default=True)
@click.option(
    "--regions",
    type=int,
    default=2,
    show_default=True,
    help="Fulfilment regions (each owns warehouses and customers); part of the world.",
)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Processes generating regions in parallel [min(regions, CPUs)]; same bytes either way.",
)
@click.option(
    "--to",
    "target",
    type=click.Choice(["kafka", "jsonl", "parquet"]),
    default="kafka",
    show_default=True,
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder for jsonl/parquet (and truth.json with kafka).",
)
@click.option(
    "--mode",
    type=click.Choice(["history", "live"]),
    default="history",
    show_default=True,
    help="history: the whole window as fast as possible; live: real time from now.",
)
@click.option(
    "--rate",
    type=float,
    default=20.0,
    show_default=True,
    help="Live mode: average messages per second (sizes the population).",
)
@click.option(
    "--bad-share",
    type=float,
    default=0.0,
    show_default=True,
    help="Share of extra malformed messages (bad-event mode).",
)
@click.option(
    "--duplicate-share",
    type=float,
    default=0.0,
    show_default=True,
    help="Share of messages re-delivered with the same event_id.",
)
@click.option("--no-incidents", is_flag=True, help="Do not inject labelled incidents.")
@click.option("--quiet", is_flag=True, help="No progress line.")
def simulate_command(
    seed: int,
    days: int,
    start_date: datetime,
    customers: int | None,
    scale: float,
    products: int,
    warehouses: int,
    regions: int,
    workers: int | None,
    target: str,
    out_dir: Path | None,
    mode: str,
    rate: float,
    bad_share: float,
    duplicate_share: float,
    no_incidents: bool,
    quiet: bool,
) -> None:
    """Simulate ACME's domain events (deterministic per seed) with a truth manifest."""
    live = mode == "live"
    if live and target != "kafka":
        raise click.UsageError("--mode live streams to Kafka; use --to kafka")
    if target != "kafka" and out_dir is None:
        raise click.UsageError(f"--to {target} needs --out DIR")
    population = customers if customers is not None else 2000
    visit_rate = 0.12
    start_at = None
    first_day: date = start_date.date()
    if live:
        visit_rate = 1.0
        population = max(50, round(rate * 86_400 / MESSAGES_PER_VISIT))
        now = datetime.now(UTC).replace(microsecond=0)
        start_at, first_day = now, now.date()
    try:
        config = SimulationConfig(
            seed=seed,
            start_date=first_day,
            days=days,
            customers=max(10, round(population * scale)),
            products=products,
            warehouses=warehouses,
            regions=regions,
            visit_rate=visit_rate,
            bad_share=bad_share,
            duplicate_share=duplicate_share,
            incidents=not no_incidents,
            start_at=start_at,
        )
    except ConfigError as error:
        raise click.UsageError(str(error)) from None
    run = simulate(config, workers=workers or min(regions, os.cpu_count() or 1))
    progress = Progress(run, enabled=not quiet)
    if target == "jsonl":
        assert out_dir is not None
        counts = write_jsonl(run, out_dir, progress)
        summary = {"messages": sum(counts.values()), "out": str(out_dir)}
    elif target == "parquet":
        assert out_dir is not None
        summary = {"messages": write_parquet(run, out_dir, progress), "out": str(out_dir)}
    else:
        settings = load_settings()
        counts = produce_to_kafka(run, settings, progress, live=live)
        summary = {"messages": sum(counts.values()), "bootstrap": settings.kafka_bootstrap_servers}
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            summary["truth"] = str(write_truth(run, out_dir))
    truth = run.truth
    summary |= {"orders": truth["orders_placed"], "revenue": truth["revenue"]}
    click.echo(json.dumps(summary))
