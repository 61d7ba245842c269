"""`acme`: the one command-line entry point for operators.

Each concern registers its own subcommand group here; the commands themselves live beside the code
they drive (`acme.kafka`, `simulator`, `ingest`, ...).
"""

from __future__ import annotations

import sys

import click

from acme.contracts.cli import contracts
from acme.kafka.local_broker import BrokerError, LocalBroker
from acme.kafka.topics import ensure_topics, list_project_topics
from acme.privacy.cli import privacy
from acme.settings import Settings, load_settings
from acme.telemetry import instrument_command
from acme.warehouse.cli import warehouse
from ingest.cli import backfill_command, ingest_command, lake_group
from simulator.cli import simulate_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """ACME analytics lakehouse: simulate, ingest and operate the event lakehouse."""
    instrument_command(ctx)  # JSON logs and traces for every command


@main.group()
def kafka() -> None:
    """The embedded local Kafka broker and the project's topics."""


def _local_broker(settings: Settings) -> LocalBroker:
    if not settings.kafka_is_local:
        raise click.ClickException(
            f"ACME_KAFKA_BOOTSTRAP_SERVERS={settings.kafka_bootstrap_servers} is not the embedded "
            f"broker (127.0.0.1:{settings.local_kafka_port}); start and stop a remote cluster "
            "with its own tooling"
        )
    return LocalBroker.from_settings(settings)


@kafka.command("up")
def kafka_up() -> None:
    """Start the local broker (KRaft, 127.0.0.1) and wait until it answers."""
    broker = _local_broker(load_settings())
    click.echo(
        f"Starting Kafka on {broker.bootstrap_servers} (state in {broker.home})...", err=True
    )
    try:
        broker.start()
    except BrokerError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Kafka is up on {broker.bootstrap_servers}", err=True)


@kafka.command("down")
def kafka_down() -> None:
    """Stop the local broker; its data stays for the next start."""
    broker = _local_broker(load_settings())
    broker.stop()
    click.echo("Kafka is stopped", err=True)


@kafka.command("status")
def kafka_status() -> None:
    """Say whether the configured broker answers; exit 1 if it does not."""
    settings = load_settings()
    broker = LocalBroker.from_settings(settings)
    if settings.kafka_is_local and broker.is_answering():
        click.echo(f"up: {broker.bootstrap_servers}")
        return
    click.echo(f"down: {settings.kafka_bootstrap_servers}")
    sys.exit(1)


@kafka.command("topics")
def kafka_topics() -> None:
    """Create the project's topics that are missing, then list them with their partitions."""
    settings = load_settings()
    for name in ensure_topics(settings):
        click.echo(f"created {name}", err=True)
    for name, partitions in sorted(list_project_topics(settings).items()):
        click.echo(f"{name}\t{partitions} partitions")


main.add_command(ingest_command)
main.add_command(backfill_command)
main.add_command(lake_group)
main.add_command(warehouse)
main.add_command(simulate_command)
main.add_command(contracts)
main.add_command(privacy)
