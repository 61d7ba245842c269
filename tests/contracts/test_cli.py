"""`acme contracts check` and `acme contracts list` on the committed registry."""

from __future__ import annotations

from click.testing import CliRunner

from acme.cli import main


def test_check_passes_on_the_committed_registry() -> None:
    result = CliRunner().invoke(main, ["contracts", "check"])
    assert result.exit_code == 0, result.output
    assert "40 schemas: all compatible" in result.output


def test_list_shows_versions_and_pii() -> None:
    result = CliRunner().invoke(main, ["contracts", "list"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "orders\tOrderPlaced\tv2\tpii=-" in lines
    assert any(line.startswith("customers\tCustomerRegistered\tv1\tpii=email,") for line in lines)
