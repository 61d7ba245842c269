"""The one place that turns `Settings` into what Dagster needs for LOCAL, CI or PROD.

Everything environment-specific in the orchestration (Dagster home, whether sensors start running,
retry budgets) is decided here, so definitions never branch on `os.environ` themselves.
`python -m orchestration.environment` prepares the Dagster home and prints it, for the Makefile.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from acme.settings import Environment, Settings, get_settings

# Managed by `prepare_dagster_home`: rewritten on every start so it always matches the code.
DAGSTER_YAML = """\
# Written by orchestration/environment.py; edits are overwritten. Storage defaults to SQLite here.
telemetry:
  enabled: false
run_retries:
  enabled: true
  max_retries: {run_retries}
# Every run's log, the project's own loggers included, also as JSON lines on stderr in the layout
# of every other stage (docs/decisions/observability.md).
python_logs:
  python_log_level: INFO
  managed_python_loggers: [acme, ingest, orchestration]
  dagster_handler_config:
    handlers:
      json:
        class: logging.StreamHandler
        stream: ext://sys.stderr
        formatter: json
    formatters:
      json:
        (): acme.telemetry.logs.JsonFormatter
        stage: dagster
retention:
  schedule:
    purge_after_days: 90
  sensor:
    purge_after_days:
      skipped: 7
      failure: 30
      success: -1
"""


@dataclass(frozen=True)
class OrchestrationEnvironment:
    """What differs between a laptop, CI and production for the Dagster deployment."""

    settings: Settings

    @property
    def name(self) -> Environment:
        """LOCAL, CI or PROD, from `ACME_ENVIRONMENT`."""
        return self.settings.environment

    @property
    def dagster_home(self) -> Path:
        """Persistent run history, schedules and check results; outside git's tracked files."""
        return self.settings.dagster_home

    @property
    def default_sensor_status(self) -> dg.DefaultSensorStatus:
        """Sensors and automation run by themselves except in CI, where nothing runs a daemon."""
        if self.name is Environment.CI:
            return dg.DefaultSensorStatus.STOPPED
        return dg.DefaultSensorStatus.RUNNING

    @property
    def default_schedule_status(self) -> dg.DefaultScheduleStatus:
        """Schedules follow the sensors: running everywhere but CI."""
        if self.name is Environment.CI:
            return dg.DefaultScheduleStatus.STOPPED
        return dg.DefaultScheduleStatus.RUNNING

    def utc_schedule(
        self, job: dg.JobDefinition | dg.UnresolvedAssetJobDefinition, cron_schedule: str
    ) -> dg.ScheduleDefinition:
        """`job` on `cron_schedule` in UTC (every schedule of the project is in UTC), running or
        stopped by default as this environment decides."""
        return dg.ScheduleDefinition(
            job=job,
            cron_schedule=cron_schedule,
            execution_timezone="UTC",
            default_status=self.default_schedule_status,
        )

    @property
    def run_retries(self) -> int:
        """Whole-run retries (on top of per-step retry policies): more patience in production."""
        return 3 if self.name is Environment.PROD else 1

    def retry_policy(self) -> dg.RetryPolicy:
        """Per-step retries with exponential backoff and jitter, for transient failures
        (a locked DuckDB file, a Delta commit conflict, a flaky SMTP server)."""
        return dg.RetryPolicy(
            max_retries=3 if self.name is Environment.PROD else 2,
            delay=2 if self.name is Environment.CI else 10,
            backoff=dg.Backoff.EXPONENTIAL,
            jitter=dg.Jitter.PLUS_MINUS,
        )


def prepare_dagster_home(environment: OrchestrationEnvironment) -> Path:
    """Create the Dagster home with its managed `dagster.yaml`; return its absolute path."""
    home = environment.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(DAGSTER_YAML.format(run_retries=environment.run_retries))
    return home


if __name__ == "__main__":
    print(prepare_dagster_home(OrchestrationEnvironment(get_settings())))
