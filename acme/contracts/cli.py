"""`acme contracts ...`: inspect the schema registry and run the compatibility check."""

from __future__ import annotations

import click

from acme.contracts.compatibility import check_registry
from acme.contracts.registry import RegistryError, registry
from acme.contracts.registry import pii_fields as registry_pii_fields


@click.group()
def contracts() -> None:
    """The event schema registry (acme/contracts/schemas)."""


@contracts.command("check")
def contracts_check() -> None:
    """Fail if any schema version breaks compatibility with its predecessor or its commit."""
    try:
        problems = check_registry()
    except RegistryError as error:
        raise click.ClickException(str(error)) from None
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} incompatible schema change(s)")
    click.echo(f"{len(registry())} schemas: all compatible", err=True)


@contracts.command("list")
def contracts_list() -> None:
    """One line per event type and version: context, type, version, PII fields."""
    for (event_type, version), schema in sorted(registry().items()):
        pii = ",".join(sorted(registry_pii_fields(event_type))) or "-"
        click.echo(f"{schema.context}\t{event_type}\tv{version}\tpii={pii}")
