"""The serving path: readers keep answering, with every mart, while the warehouse rebuilds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from acme.warehouse.dbt import build
from acme.warehouse.publish import PUBLISHED_SCHEMAS, publish, releases_dir
from tests.dbt.dbt_lake import SimulatedLake

pytestmark = pytest.mark.slow

# A reader like a Superset worker: a fresh read-only connection per query round, every mart
# queried each round, until the stop file appears. It reports rounds, errors and releases seen.
# It also stops when the test process is gone (re-parented): a test killed mid-run left readers
# polling for an hour.
READER = r"""
import json, os, sys, time, duckdb
serving, stop_file, tables = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
parent = int(sys.argv[4])
rounds, errors, releases = 0, [], set()
while not os.path.exists(stop_file) and os.getppid() == parent:
    try:
        releases.add(os.path.realpath(serving))
        with duckdb.connect(serving, read_only=True) as conn:
            present = {f"{s}.{t}" for s, t in conn.execute(
                "select schema_name, table_name from duckdb_tables()").fetchall()}
            missing = sorted(set(tables) - present)
            if missing:
                errors.append(f"missing tables: {missing}")
            for table in tables:
                conn.execute(f"select count(*) from {table}").fetchone()
        rounds += 1
    except Exception as error:
        errors.append(repr(error))
    time.sleep(0.05)  # a busy dashboard, not a CPU hog starving the build on two cores
print(json.dumps({"rounds": rounds, "errors": errors[:20], "releases": len(releases)}))
"""
READERS = 4


def published_tables(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as conn:
        rows = conn.execute(
            "select schema_name, table_name from duckdb_tables() order by all"
        ).fetchall()
    return [f"{schema}.{table}" for schema, table in rows]


def test_readers_see_no_error_and_no_missing_table_during_builds(
    built_lake: SimulatedLake, tmp_path: Path
) -> None:
    settings = built_lake.settings
    publish(settings)
    tables = published_tables(settings.duckdb_serving_path)
    assert "marts.fct_order_lines" in tables
    stop_file = tmp_path / "stop"
    readers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                READER,
                str(settings.duckdb_serving_path),
                str(stop_file),
                json.dumps(tables),
                str(os.getpid()),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(READERS)
    ]
    try:
        time.sleep(1)
        build(
            settings,
            full_refresh=True,
            with_tests=False,
            target_path=tmp_path / "dbt-target",
            capture=True,
        )
        publish(settings)
        time.sleep(1)
    finally:
        stop_file.touch()
        reports = [json.loads(reader.communicate(timeout=120)[0]) for reader in readers]
    for report in reports:
        assert report["errors"] == []
        assert report["rounds"] > 0
    # the readers really straddled the swap: they opened both the old and the new release
    assert all(report["releases"] == 2 for report in reports)
    assert sum(report["rounds"] for report in reports) >= READERS * 3


def test_serving_holds_only_the_published_schemas(built_lake: SimulatedLake) -> None:
    """Staging views over the lake and the restricted PII schema never reach readers."""
    release = publish(built_lake.settings)
    assert built_lake.settings.duckdb_serving_path.resolve() == release.resolve()
    with duckdb.connect(str(built_lake.settings.duckdb_serving_path), read_only=True) as conn:
        schemas = {
            row[0] for row in conn.execute("select schema_name from duckdb_tables()").fetchall()
        }
        comment = conn.execute(
            "select comment from duckdb_tables() where table_name = 'fct_order_lines'"
        ).fetchone()
    assert schemas == set(PUBLISHED_SCHEMAS)
    assert comment is not None
    assert "order line" in comment[0]


def test_old_releases_are_pruned(built_lake: SimulatedLake) -> None:
    for _ in range(6):
        publish(built_lake.settings)
    assert len(list(releases_dir(built_lake.settings).glob("*.duckdb"))) <= 4
