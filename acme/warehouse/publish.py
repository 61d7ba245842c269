"""Publish a finished build to readers without ever blocking or breaking them.

DuckDB allows one writing process per file, and dbt holds the build file's write lock for the
whole build. Readers (Superset, analysts) therefore never open the build file: each successful
build is copied into a new, immutable release file, and the serving path is a symlink swapped onto
the newest release with an atomic rename. A reader that opens the serving path gets a complete
release; a reader already open keeps its file (Linux keeps unlinked files alive for open handles).
See docs/decisions/warehouse-serving.md.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import duckdb

from acme.settings import Settings

log = logging.getLogger(__name__)

# Only the marts are served: staging and intermediate are views over the raw Delta lake, and the
# restricted schema holds raw PII that readers must never see.
PUBLISHED_SCHEMAS: Final[tuple[str, ...]] = ("marts",)
# Releases kept beside the current one, so a reader that resolved the symlink just before a swap
# still finds its file; older ones are deleted.
RELEASES_KEPT: Final = 3


class PublishError(RuntimeError):
    """The build database cannot be published (missing, locked by a writer, or has no marts)."""


def releases_dir(settings: Settings) -> Path:
    """Folder of the immutable release files behind the serving symlink."""
    serving = settings.duckdb_serving_path
    return serving.parent / f"{serving.stem}.releases"


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _copy_published_schemas(build: Path, release: Path) -> int:
    """Copy every published table, with its comments, from the build file into a new file."""
    copied = 0
    with duckdb.connect(str(release)) as conn:
        conn.execute(f"attach {_sql_string(str(build))} as build (read_only)")
        for schema in PUBLISHED_SCHEMAS:
            tables = conn.execute(
                "select table_name, comment from duckdb_tables() "
                "where database_name = 'build' and schema_name = ? order by table_name",
                [schema],
            ).fetchall()
            conn.execute(f'create schema if not exists "{schema}"')
            for table, comment in tables:
                target = f'"{schema}"."{table}"'
                conn.execute(f'create table {target} as select * from build."{schema}"."{table}"')
                if comment:
                    conn.execute(f"comment on table {target} is {_sql_string(comment)}")
                columns = conn.execute(
                    "select column_name, comment from duckdb_columns() where database_name = "
                    "'build' and schema_name = ? and table_name = ? and comment is not null",
                    [schema, table],
                ).fetchall()
                for column, column_comment in columns:
                    conn.execute(
                        f'comment on column {target}."{column}" is {_sql_string(column_comment)}'
                    )
                copied += 1
        conn.execute("detach build")
        conn.execute("checkpoint")
    return copied


def _swap_symlink(serving: Path, release: Path) -> None:
    """Point `serving` at `release` in one atomic rename (a relative link, so the folder can move)."""
    staged_link = serving.with_name(f".{serving.name}.{os.getpid()}.link")
    staged_link.unlink(missing_ok=True)
    staged_link.symlink_to(os.path.relpath(release, serving.parent))
    os.replace(staged_link, serving)


def _prune_releases(folder: Path, current: Path) -> None:
    releases = sorted(folder.glob("*.duckdb"), key=lambda path: path.name, reverse=True)
    for old in [path for path in releases if path != current][RELEASES_KEPT:]:
        old.unlink(missing_ok=True)
        old.with_name(old.name + ".wal").unlink(missing_ok=True)


def publish(settings: Settings) -> Path:
    """Expose the current build to readers at `settings.duckdb_serving_path`; return the release.

    Call only after a successful build, when no dbt process is writing the build file.
    """
    build = settings.duckdb_build_path
    if not build.exists():
        raise PublishError(f"no build database at {build}: run `acme warehouse build` first")
    folder = releases_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    release = folder / f"{settings.duckdb_serving_path.stem}-{version}.duckdb"
    partial = release.with_name(release.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        copied = _copy_published_schemas(build, partial)
    except duckdb.IOException as error:
        partial.unlink(missing_ok=True)
        raise PublishError(f"cannot read the build database {build}: {error}") from error
    if copied == 0:
        partial.unlink(missing_ok=True)
        raise PublishError(f"the build database {build} has no tables in {PUBLISHED_SCHEMAS}")
    os.replace(partial, release)
    _swap_symlink(settings.duckdb_serving_path, release)
    _prune_releases(folder, release)
    log.info("published %d tables as %s", copied, release.name)
    return release
