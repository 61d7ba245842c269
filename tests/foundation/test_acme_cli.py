import subprocess

from click.testing import CliRunner

from acme.cli import main


def test_the_console_script_is_installed_and_lists_commands() -> None:
    result = subprocess.run(["acme", "--help"], capture_output=True, text=True, check=True)
    assert "kafka" in result.stdout


def test_a_bad_configuration_ends_the_command_with_the_variable_to_fix() -> None:
    result = CliRunner().invoke(
        main, ["kafka", "status"], env={"ACME_LOCAL_KAFKA_PORT": "not-a-port"}
    )
    assert result.exit_code == 1
    assert "ACME_LOCAL_KAFKA_PORT" in result.output
