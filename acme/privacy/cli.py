"""`acme privacy`: answer data-subject requests."""

from __future__ import annotations

import json
from pathlib import Path

import click

from acme.privacy.erase import erase_subject
from acme.privacy.export import export_subject
from acme.privacy.subject import SubjectNotFoundError
from acme.settings import load_settings


@click.group()
def privacy() -> None:
    """Data-subject requests (access, erasure) on the lake and the warehouse."""


@privacy.command("export-subject")
@click.argument("identifier")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("subject-exports"),
    show_default=True,
    help="Folder the zip is written to.",
)
def export_subject_command(identifier: str, out_dir: Path) -> None:
    """Write one zip (JSON, CSV, manifest) of everything about a customer id or e-mail."""
    try:
        export = export_subject(load_settings(), identifier, out_dir)
    except SubjectNotFoundError as error:
        raise click.ClickException(str(error)) from None
    for name, rows in export.rows.items():
        click.echo(f"{name}\t{rows} rows", err=True)
    click.echo(str(export.path))


@privacy.command("erase")
@click.argument("identifier")
def erase_command(identifier: str) -> None:
    """Erase a customer (id or e-mail) from the lake and the warehouse; print the receipt.

    Run it while no dbt build runs: it rebuilds and publishes the warehouse itself.
    """
    try:
        receipt = erase_subject(load_settings(), identifier)
    except SubjectNotFoundError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(receipt, default=str))
