"""`acme privacy export-subject`: one zip with everything held about a customer, on a lake built
the way production builds it (simulated events -> backfill -> dbt build -> publish)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest
from deltalake import DeltaTable

from acme.privacy.export import export_subject
from acme.privacy.subject import SubjectNotFoundError, dead_letters_of, resolve_subject
from acme.warehouse.publish import publish
from ingest.tables import RAW_EVENTS
from tests.dbt.dbt_lake import SimulatedLake

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def published_lake(built_lake: SimulatedLake) -> SimulatedLake:
    publish(built_lake.settings)
    return built_lake


def customer_with_orders_and_a_dead_letter(lake: SimulatedLake) -> tuple[str, int]:
    """A customer with several orders whose id also appears in a dead letter, and their orders."""
    with duckdb.connect(str(lake.settings.duckdb_serving_path), read_only=True) as conn:
        candidates = conn.execute(
            "select customer_id, count(*) from marts.fct_orders "
            "group by customer_id having count(*) >= 2 order by customer_id"
        ).fetchall()
    for customer_id, orders in candidates:
        subject = resolve_subject(lake.settings, customer_id)
        if dead_letters_of(lake.settings, subject).num_rows:
            return str(customer_id), int(orders)
    pytest.fail("no customer with orders appears in a dead letter; raise bad_share")


def read_bundle(path: Path) -> tuple[dict[str, object], dict[str, bytes]]:
    with zipfile.ZipFile(path) as bundle:
        files = {name: bundle.read(name) for name in bundle.namelist()}
    return json.loads(files.pop("manifest.json")), files


def test_the_bundle_holds_every_record_set_with_matching_digests_and_counts(
    published_lake: SimulatedLake, tmp_path: Path
) -> None:
    customer_id, orders = customer_with_orders_and_a_dead_letter(published_lake)
    export = export_subject(published_lake.settings, customer_id, tmp_path)
    manifest, files = read_bundle(export.path)

    record_sets = {entry["name"]: entry for entry in manifest["record_sets"]}  # type: ignore[attr-defined]
    assert {
        "raw_events",
        "dead_letters",
        "marts.fct_orders",
        "marts.dim_customers",
    } <= record_sets.keys()
    assert record_sets["marts.fct_orders"]["rows"] == orders
    assert record_sets["dead_letters"]["rows"] >= 1
    for name, entry in record_sets.items():
        for file_name, digest in entry["files"].items():
            assert hashlib.sha256(files[file_name]).hexdigest() == digest
        records = json.loads(files[f"{name}.json"])
        csv_rows = list(csv.reader(io.StringIO(files[f"{name}.csv"].decode())))
        assert len(records) == len(csv_rows) - 1 == entry["rows"]
    for record in json.loads(files["marts.fct_orders.json"]):
        assert record["customer_id"] == customer_id

    identifiers = export.subject.identifiers
    assert export.subject.emails, "the registration's e-mail is linked to the subject"
    raw_events = json.loads(files["raw_events.json"])
    assert {event["event_type"] for event in raw_events} >= {"CustomerRegistered", "OrderPlaced"}
    for event in raw_events:
        assert any(value in json.dumps(event) for value in identifiers)


def test_every_raw_event_with_the_customer_id_is_in_the_bundle(
    published_lake: SimulatedLake, tmp_path: Path
) -> None:
    customer_id, _ = customer_with_orders_and_a_dead_letter(published_lake)
    # Read independently of the exporter: delta-rs and a JSON parse of every payload.
    raw = DeltaTable(str(RAW_EVENTS.path(published_lake.settings.lake_root))).to_pyarrow_table(
        columns=["event_id", "payload"]
    )
    expected = {
        event_id
        for event_id, payload in zip(
            raw["event_id"].to_pylist(), raw["payload"].to_pylist(), strict=True
        )
        if json.loads(payload).get("customer_id") == customer_id
    }
    export = export_subject(published_lake.settings, customer_id, tmp_path)
    _, files = read_bundle(export.path)
    exported = {event["event_id"] for event in json.loads(files["raw_events.json"])}
    assert expected
    assert expected <= exported


def test_the_cli_finds_the_subject_by_email_and_names_an_unknown_one(
    published_lake: SimulatedLake, tmp_path: Path
) -> None:
    customer_id, _ = customer_with_orders_and_a_dead_letter(published_lake)
    email = sorted(resolve_subject(published_lake.settings, customer_id).emails)[0]
    settings = published_lake.settings
    environment = {
        **os.environ,
        "ACME_LAKE_ROOT": str(settings.lake_root),
        "ACME_DUCKDB_SERVING_PATH": str(settings.duckdb_serving_path),
        "ACME_DUCKDB_BUILD_PATH": str(settings.duckdb_build_path),
    }
    acme = [str(Path(sys.executable).with_name("acme")), "privacy", "export-subject"]
    done = subprocess.run(
        [*acme, email.upper(), "--out", str(tmp_path)],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    manifest, _ = read_bundle(Path(done.stdout.strip()))
    assert manifest["subject"]["customer_id"] == customer_id  # type: ignore[index]

    unknown = subprocess.run(
        [*acme, "nobody@nowhere.example", "--out", str(tmp_path)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert unknown.returncode != 0
    assert "no customer registered or changed to e-mail nobody@nowhere.example" in unknown.stderr
    with pytest.raises(SubjectNotFoundError):
        resolve_subject(settings, "00000000-0000-0000-0000-000000000000")
