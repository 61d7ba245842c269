"""PII guards: raw personal data only in the restricted schema, pseudonymized everywhere else with
the configured salt, and the salt itself never written into SQL or artifacts."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from acme.contracts.registry import event_types, pii_fields
from tests.dbt.dbt_lake import TEST_PII_SALT, SimulatedLake

pytestmark = pytest.mark.slow


def raw_pii_field_names() -> set[str]:
    return {
        field.split(".")[-1] for event_type in event_types() for field in pii_fields(event_type)
    }


def test_contracts_tag_some_pii() -> None:
    assert {"email", "phone", "ip_address"} <= raw_pii_field_names()


def test_raw_pii_columns_exist_only_in_the_restricted_schema(built_lake: SimulatedLake) -> None:
    with duckdb.connect(str(built_lake.settings.duckdb_build_path), read_only=True) as conn:
        columns = conn.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = current_database()"
        ).fetchall()
    leaks = [c for c in columns if c[2] in raw_pii_field_names() and c[0] != "restricted"]
    assert leaks == []
    assert any(c[0] == "restricted" and c[2] == "email" for c in columns)


def test_pseudonyms_are_salted_hashes_of_the_raw_values(built_lake: SimulatedLake) -> None:
    with duckdb.connect(str(built_lake.settings.duckdb_build_path), read_only=True) as conn:
        pairs = conn.execute(
            "select raw.email, staged.email_hash "
            "from restricted.pii_customers__customers_registered as raw "
            "inner join staging.stg_customers__customers_registered as staged using (event_id) "
            "limit 50"
        ).fetchall()
    assert len(pairs) == 50
    for email, email_hash in pairs:
        assert email_hash == hashlib.sha256((TEST_PII_SALT + email).encode()).hexdigest()
        assert email_hash != hashlib.sha256(email.encode()).hexdigest()


def test_the_salt_is_not_written_anywhere(built_lake: SimulatedLake) -> None:
    target = Path(built_lake.settings.lake_root).parent / "dbt-target"
    assert any(target.rglob("*.sql"))
    for path in target.rglob("*"):
        if path.is_file():
            assert TEST_PII_SALT not in path.read_text(errors="ignore"), path
    with duckdb.connect(str(built_lake.settings.duckdb_build_path), read_only=True) as conn:
        definitions = conn.execute("select sql from duckdb_views() where not internal").fetchall()
    assert all(TEST_PII_SALT not in (sql or "") for (sql,) in definitions)


# PII fields whose values identify one person by their form alone. Names and postal codes are
# left out of the value search: "Rose" or "61082" may be a product or a number elsewhere too.
IDENTIFYING_PII = ("email", "phone", "street", "ip_address")


def test_no_raw_pii_value_reaches_a_table_outside_the_restricted_schema(
    built_lake: SimulatedLake,
) -> None:
    """By value, not by column name: a PII field renamed on its way (`email as contact`) or
    copied into another column would still be found."""
    tagged = raw_pii_field_names()
    assert set(IDENTIFYING_PII) <= tagged
    with duckdb.connect() as conn:
        conn.execute(f"attach '{built_lake.settings.duckdb_build_path}' as build (read_only)")
        sources = conn.execute(
            "select table_name, column_name from duckdb_columns() where database_name = 'build' "
            "and schema_name = 'restricted' and column_name in ?",
            [list(IDENTIFYING_PII)],
        ).fetchall()
        assert {column for _, column in sources} == set(IDENTIFYING_PII)
        conn.execute(
            "create temp table pii_values as "
            + " union ".join(
                f'select distinct "{column}" as value from build.restricted."{table}" '
                f'where "{column}" is not null'
                for table, column in sources
            )
        )
        targets = conn.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = 'build' and schema_name <> 'restricted' "
            "and data_type = 'VARCHAR'"
        ).fetchall()
        assert len(targets) > 100
        leaks = []
        for schema, table, column in targets:
            found = conn.execute(
                f'select count(*) from build."{schema}"."{table}" '
                f'where "{column}" in (select value from pii_values)'
            ).fetchone()
            if found and found[0]:
                leaks.append(f"{schema}.{table}.{column}: {found[0]} rows")
    assert leaks == []
