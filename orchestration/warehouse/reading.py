"""Read-only queries on the build database, for checks and analytics that run after dbt."""

import duckdb
import pandas as pd

from acme.settings import Settings


def query_build(
    settings: Settings, sql: str, parameters: list[object] | None = None
) -> pd.DataFrame:
    """Run `sql` on the build database, read-only (a dbt build holding the write lock makes this
    raise; the step's retry policy waits it out)."""
    with duckdb.connect(str(settings.duckdb_build_path), read_only=True) as connection:
        return connection.execute(sql, parameters or []).df()
