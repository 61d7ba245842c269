"""dbt-duckdb plugin: every dbt connection reads Delta tables offline and knows the PII salt.

DuckDB cannot download extensions here, so the signed `delta` extension comes from the
`duckdb-ext-delta` wheel. Its folder depends on where the environment lives, which a committed
`profiles.yml` cannot know; this plugin computes it and is named in `profiles.yml` instead.

The PII salt (profile config `pii_salt`, from ACME_PII_SALT) is set as the DuckDB variable
`acme_pii_salt` on every cursor, so the `pseudonymize` macro never writes it into compiled SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import duckdb_ext
from dbt.adapters.duckdb.plugins import BasePlugin


def extension_directory() -> Path:
    """The folder holding the wheel's DuckDB extensions (`<site-packages>/duckdb_ext/extensions`)."""
    # duckdb_ext is a namespace package (no __init__), so its location is its __path__.
    return Path(next(iter(duckdb_ext.__path__))) / "extensions"


def connection_config() -> dict[str, Any]:
    """DuckDB connect options for any process that must read the raw Delta tables."""
    return {
        "extension_directory": str(extension_directory()),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }


class Plugin(BasePlugin):  # type: ignore[misc]  # dbt-duckdb ships no type information
    """Point DuckDB at the wheel's extensions, load `delta`, and hand the salt to each cursor."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        salt = plugin_config.get("pii_salt")
        if not salt:
            raise ValueError("the acme duckdb plugin needs `pii_salt` (set ACME_PII_SALT)")
        self.salt_literal = "'" + str(salt).replace("'", "''") + "'"

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        config.update(connection_config())

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        conn.execute("load delta")

    def configure_cursor(self, cursor: duckdb.DuckDBPyConnection) -> None:
        # A quoted literal, not a bound parameter: binding makes duckdb import pandas, 1.8 s of
        # every build's start. dbt never logs this statement.
        cursor.execute(f"set variable acme_pii_salt = {self.salt_literal}")
