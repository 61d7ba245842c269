"""`acme warehouse`: build the dbt project and publish it to the serving database."""

from __future__ import annotations

import click

from acme.settings import load_settings
from acme.warehouse.dbt import DbtError, build, run_dbt
from acme.warehouse.metrics import MetricDefinitionError, generate
from acme.warehouse.publish import PublishError, publish


@click.group()
def warehouse() -> None:
    """The dbt star schema in DuckDB and its non-blocking serving copy."""


@warehouse.command("build")
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental facts from scratch.")
@click.option("--select", default=None, help="dbt node selection (default: everything).")
@click.option(
    "--publish/--no-publish",
    "then_publish",
    default=True,
    show_default=True,
    help="Expose the build to readers when it succeeds.",
)
def build_command(full_refresh: bool, select: str | None, then_publish: bool) -> None:
    """Run `dbt build` into the build database, then publish it."""
    settings = load_settings()
    try:
        build(settings, full_refresh=full_refresh, select=select)
        if then_publish:
            release = publish(settings)
            click.echo(f"published {release} at {settings.duckdb_serving_path}", err=True)
    except (DbtError, PublishError) as error:
        raise click.ClickException(str(error)) from None


@warehouse.command("publish")
def publish_command() -> None:
    """Atomically expose the last successful build at the serving path."""
    settings = load_settings()
    try:
        release = publish(settings)
    except PublishError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"published {release} at {settings.duckdb_serving_path}", err=True)


@warehouse.command("dbt", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def dbt_command(args: tuple[str, ...]) -> None:
    """Any dbt command on the project with the configured paths (e.g. `source freshness`)."""
    try:
        run_dbt(args, load_settings())
    except DbtError as error:
        raise click.ClickException(str(error)) from None


@warehouse.command("metrics")
def metrics_command() -> None:
    """Regenerate Superset's metric definitions (superset/bundles/metrics.json) from the dbt
    semantic layer, after changing a metric or a mart column description."""
    try:
        path = generate(load_settings())
    except (DbtError, MetricDefinitionError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote {path}", err=True)
