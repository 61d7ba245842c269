import subprocess
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from acme.cli import main
from acme.settings import get_settings


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """The CLI reads settings once per process; in-process CLI tests must not see a cached copy."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_console_script_is_installed_and_lists_commands() -> None:
    result = subprocess.run(["acme", "--help"], capture_output=True, text=True, check=True)
    for command in ("kafka", "simulate", "ingest", "backfill", "warehouse"):
        assert command in result.stdout


@pytest.mark.usefixtures("fresh_settings")
@pytest.mark.parametrize(
    "command",
    [
        ["kafka", "status"],
        ["ingest", "--until-idle"],
        ["lake", "compact"],
        ["warehouse", "publish"],
        ["simulate", "--days", "1", "--customers", "10", "--to", "kafka", "--quiet"],
    ],
    ids=lambda command: command[0],
)
def test_a_bad_configuration_ends_the_command_with_the_variable_to_fix(command: list[str]) -> None:
    """Every command group reads its settings through acme.settings.load_settings."""
    result = CliRunner().invoke(main, command, env={"ACME_LOCAL_KAFKA_PORT": "not-a-port"})
    assert result.exit_code == 1, result.output
    assert "invalid configuration: ACME_LOCAL_KAFKA_PORT" in result.output
