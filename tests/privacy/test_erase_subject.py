"""`acme privacy erase`: after it, none of the subject's identifiers is in any file of the lake or
the warehouse, at the byte level and in every table, while every aggregate keeps its value."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from acme.privacy.erase import erase_subject, subject_key
from acme.privacy.subject import SubjectNotFoundError, dead_letters_of, resolve_subject
from acme.privacy.suppression import Suppression
from acme.warehouse.dbt import build
from acme.warehouse.publish import publish
from ingest.tables import RAW_EVENTS
from simulator import SimulationConfig
from tests.dbt.dbt_lake import SimulatedLake, simulated_lake

pytestmark = pytest.mark.slow

SMALL_SHOP = SimulationConfig(seed=77, customers=600, products=80, days=3, bad_share=0.05)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> SimulatedLake:
    built = simulated_lake(SMALL_SHOP, tmp_path_factory.mktemp("erase"))
    build(built.settings, capture=True)
    publish(built.settings)
    build(built.settings, capture=True)  # a second release and a second snapshot pass
    publish(built.settings)
    return built


def registration_of(lake: SimulatedLake, customer_id: str) -> dict[str, str]:
    raw = DeltaTable(str(RAW_EVENTS.path(lake.settings.lake_root))).to_pyarrow_table(
        columns=["event_type", "payload"]
    )
    for event_type, payload in zip(
        raw["event_type"].to_pylist(), raw["payload"].to_pylist(), strict=True
    ):
        document = json.loads(payload)
        if event_type == "CustomerRegistered" and document["customer_id"] == customer_id:
            return dict(document)
    raise AssertionError(f"no registration of {customer_id}")


def pick_subject(lake: SimulatedLake) -> str:
    """A customer with orders, sessions and a dead letter: every kind of record to erase."""
    with duckdb.connect(str(lake.settings.duckdb_serving_path), read_only=True) as conn:
        candidates = conn.execute(
            "select o.customer_id from marts.fct_orders as o "
            "inner join marts.fct_sessions as s using (customer_id) "
            "group by o.customer_id order by count(*) desc"
        ).fetchall()
    for (customer_id,) in candidates:
        if dead_letters_of(lake.settings, resolve_subject(lake.settings, customer_id)).num_rows:
            return str(customer_id)
    pytest.fail("no customer with orders and sessions appears in a dead letter")


def totals(settings_path: Path) -> tuple[int, Decimal, int, int]:
    with duckdb.connect(str(settings_path), read_only=True) as conn:
        row = conn.execute(
            "select count(*), sum(order_total), count(distinct customer_id), "
            "(select count(*) from marts.dim_customers where is_current) from marts.fct_orders"
        ).fetchone()
    assert row is not None
    return int(row[0]), Decimal(row[1]), int(row[2]), int(row[3])


def files_under(*folders: Path) -> list[Path]:
    return [path for folder in folders for path in folder.rglob("*") if path.is_file()]


def parquet_text(path: Path) -> str:
    """Every value of a Parquet file, decompressed, as text (byte search alone cannot see into
    compressed pages)."""
    return json.dumps(pq.read_table(path).to_pylist(), default=str)


def duckdb_text_hits(path: Path, needles: list[str]) -> list[str]:
    hits = []
    with duckdb.connect(str(path), read_only=True) as conn:
        columns = conn.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = current_database() and data_type = 'VARCHAR'"
        ).fetchall()
        for schema, table, column in columns:
            for needle in needles:
                found = conn.execute(
                    f'select count(*) from "{schema}"."{table}" where contains("{column}", ?)',
                    [needle],
                ).fetchone()
                if found and found[0]:
                    hits.append(f"{schema}.{table}.{column}: {needle}")
    return hits


def test_erasure_leaves_no_identifier_anywhere_and_keeps_every_aggregate(
    lake: SimulatedLake,
) -> None:
    settings = lake.settings
    customer_id = pick_subject(lake)
    subject = resolve_subject(settings, customer_id)
    registration = registration_of(lake, customer_id)
    needles = sorted(
        {
            customer_id,
            *subject.emails,
            *subject.device_ids,
            registration["phone"],
            registration["street"],
            registration["ip_address"],
            f"{registration['first_name']} {registration['last_name']}",
        }
    )
    before = totals(settings.duckdb_serving_path)

    receipt = erase_subject(settings, registration["email"])

    assert receipt["raw_events_redacted"] > 0
    assert receipt["dead_letters_deleted"] > 0
    assert receipt["subject_key"] == subject_key(settings, customer_id)
    assert totals(settings.duckdb_serving_path) == before

    warehouse = settings.duckdb_build_path.parent
    byte_hits = [
        f"{path}: {needle}"
        for path in files_under(settings.lake_root, warehouse)
        for needle in needles
        if needle.encode() in path.read_bytes()
        or (path.suffix == ".parquet" and needle in parquet_text(path))
    ]
    assert byte_hits == []
    duckdb_files = sorted(warehouse.rglob("*.duckdb"))
    assert duckdb_files
    table_hits = [hit for path in duckdb_files for hit in duckdb_text_hits(path, needles)]
    assert table_hits == []

    suppression = Suppression(settings.lake_root, settings.pii_salt.get_secret_value())
    assert subject_key(settings, customer_id) in suppression.keys
    with pytest.raises(SubjectNotFoundError):
        resolve_subject(settings, customer_id)
