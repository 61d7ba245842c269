"""The one place that runs dbt: same project, profile and environment for the CLI, Dagster and tests.

dbt runs in a child process so that the `ACME_*` values it reads through `env_var()` come from the
`Settings` object without touching this process's environment, and so a crashed or killed build
never leaves a half-open DuckDB writer inside the caller.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from opentelemetry import trace

from acme.settings import REPO_ROOT, Settings
from acme.telemetry.dbt import record_run_results
from acme.telemetry.tracing import child_environment

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# The committed profiles.yml lives beside dbt_project.yml (no secrets, paths from env_var()).
DBT_PROFILES_DIR = DBT_PROJECT_DIR


class DbtError(RuntimeError):
    """A dbt command failed; dbt's own output (already streamed) says which node and why."""


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The `ACME_*` variables profiles.yml and the sources read, as absolute paths.

    Dagster's `DbtCliResource` and any other dbt caller should run with these set.
    """
    return {
        "ACME_LAKE_ROOT": str(settings.lake_root),
        "ACME_DUCKDB_BUILD_PATH": str(settings.duckdb_build_path),
        "ACME_PII_SALT": settings.pii_salt.get_secret_value(),
    }


def run_dbt(
    args: Sequence[str],
    settings: Settings,
    *,
    target_path: Path | None = None,
    capture: bool = False,
) -> str:
    """Run `dbt <args>` on the project with the settings' paths; raise `DbtError` if it fails.

    `target_path` keeps artifacts of parallel runs (tests, benchmarks) apart; `capture` returns
    dbt's output instead of streaming it to this process's stdout. The run is traced as one span
    (`dbt <command>`), with a child span per node from run_results.json; dbt gets the span in
    `TRACEPARENT`.
    """
    settings.duckdb_build_path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).with_name("dbt")),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROFILES_DIR),
    ]
    if target_path is not None:
        command += ["--target-path", str(target_path)]
    with tracer.start_as_current_span(
        f"dbt {args[0] if args else ''}".rstrip(), attributes={"dbt.args": " ".join(args)}
    ) as span:
        environment = {
            **os.environ,
            **dbt_environment(settings),
            **child_environment(),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "0",
        }
        log.info("running dbt %s", " ".join(args))
        started = time.time()
        result = subprocess.run(
            command,
            cwd=DBT_PROJECT_DIR,
            env=environment,
            text=True,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.STDOUT if capture else None,
            check=False,
        )
        span.set_attribute("process.exit_code", result.returncode)
        run_results = (target_path or DBT_PROJECT_DIR / "target") / "run_results.json"
        if run_results.exists() and run_results.stat().st_mtime >= started:  # not a former run's
            record_run_results(span, json.loads(run_results.read_text()))
        if result.returncode != 0:
            detail = f":\n{result.stdout[-4000:]}" if capture and result.stdout else ""
            raise DbtError(f"dbt {' '.join(args)} failed (exit {result.returncode}){detail}")
    return result.stdout if capture else ""


def build(
    settings: Settings,
    *,
    full_refresh: bool = False,
    select: str | None = None,
    with_tests: bool = True,
    unit_tests: bool = False,
    target_path: Path | None = None,
    capture: bool = False,
) -> str:
    """`dbt build` (seeds, snapshots, models and their data tests) into the build database.

    Unit tests check logic, not data, so production builds skip them and the test suite
    (`unit_tests=True`) runs them. `with_tests=False` skips data tests too, for loading a lake
    known to be incomplete.
    """
    args = ["build"]
    if full_refresh:
        args.append("--full-refresh")
    if not with_tests:
        args += ["--exclude-resource-type", "test"]
    if not with_tests or not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    if select:
        args += ["--select", select]
    return run_dbt(args, settings, target_path=target_path, capture=capture)
