"""Backfill loads files into the raw table idempotently; mappings turn foreign layouts into
events that pass the same contracts as Kafka events."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pyarrow.parquet as pq
from click.testing import CliRunner

import tests.ingest.ingest_factories as f
from acme.cli import main
from acme.settings import Settings
from ingest.backfill import BACKFILL_TOPIC, backfill_files, load_mapping
from simulator import SimulationConfig, simulate
from simulator.sinks import PARQUET_FILE, write_jsonl, write_parquet
from tests.ingest.ingest_helpers import dead_letters, invoke, raw

DATA = Path(__file__).parent / "data"
MAPPING = Path(__file__).parents[2] / "ingest" / "mappings" / "legacy_orders.yml"


def test_a_historical_orders_export_is_mapped_and_a_second_run_adds_nothing(
    settings: Settings,
) -> None:
    mapping = load_mapping(MAPPING)
    csv = DATA / "legacy_orders.csv"
    first = backfill_files(settings, [csv], mapping)
    assert "3 events loaded, 1 dead letters" in first[0]

    table = raw(settings)
    assert table.num_rows == 3
    assert set(table["topic"].to_pylist()) == {BACKFILL_TOPIC}
    assert sorted(table["offset"].to_pylist()) == [0, 1, 3]  # row index in the file
    by_offset = {row["offset"]: row for row in table.to_pylist()}
    first_order = orjson.loads(by_offset[0]["payload"])
    assert first_order["order_total"] == "52.66"
    assert first_order["lines"][0]["unit_price"] == "19.90"  # "19.9" normalised to money
    assert by_offset[0]["event_time"].isoformat() == "2019-11-29T14:03:11+00:00"
    assert dead_letters(settings)["reason"].to_pylist() == ["negative_quantity"]  # quantity -1

    second = backfill_files(settings, [csv], mapping)
    assert "0 events loaded" in second[0]
    assert raw(settings).num_rows == 3
    assert dead_letters(settings).num_rows == 1


def test_jsonl_and_parquet_replays_of_the_raw_store_load_once_via_the_cli(
    settings: Settings, tmp_path: Path
) -> None:
    events = [
        f.page_viewed(f"00000000-0000-4000-8000-00000000000{i}", at=f.BASE_TIME) for i in range(5)
    ]
    jsonl = tmp_path / "events.jsonl"
    jsonl.write_bytes(b"\n".join([*events, b"{broken"]) + b"\n")
    result = invoke(settings, "backfill", str(jsonl))
    assert result.exit_code == 0, result.output
    assert raw(settings).num_rows == 5
    assert Counter(dead_letters(settings)["reason"].to_pylist()) == {"not_json": 1}

    # The raw table's own layout exported as Parquet replays too (event sourcing); twice = once.
    export = tmp_path / "export.parquet"
    pq.write_table(
        raw(settings).drop_columns(["topic", "partition", "offset", "ingested_at", "event_date"]),
        export,
    )
    for _ in range(2):
        result = invoke(settings, "backfill", str(export))
        assert result.exit_code == 0, result.output
    table = raw(settings)
    assert table.num_rows == 10
    assert Counter(table["event_id"].to_pylist()) == Counter(
        {orjson.loads(e)["event_id"]: 2 for e in events}
    )


def test_the_simulators_parquet_replays_like_its_jsonl_and_twice_adds_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    config = SimulationConfig(seed=11, days=1, customers=150, bad_share=0.02, duplicate_share=0.02)
    write_parquet(simulate(config), tmp_path / "parquet")
    write_jsonl(simulate(config), tmp_path / "jsonl")  # the same run again (seeded)

    for _ in range(2):
        backfill_files(settings, [tmp_path / "parquet" / PARQUET_FILE], None)
    from_parquet, parquet_dead = raw(settings), dead_letters(settings)

    jsonl_settings = settings.model_copy(update={"lake_root": tmp_path / "jsonl-lake"})
    backfill_files(jsonl_settings, sorted((tmp_path / "jsonl").glob("*.jsonl")), None)
    from_jsonl, jsonl_dead = raw(jsonl_settings), dead_letters(jsonl_settings)

    messages = pq.read_table(tmp_path / "parquet" / PARQUET_FILE)
    valid = sum(messages["is_valid"].to_pylist())
    assert 0 < valid < messages.num_rows  # the run has bad events to reject
    assert from_parquet.num_rows == valid  # the second run added nothing
    assert Counter(from_parquet["event_id"].to_pylist()) == Counter(
        from_jsonl["event_id"].to_pylist()
    )
    assert parquet_dead.num_rows == messages.num_rows - valid
    assert Counter(parquet_dead["reason"].to_pylist()) == Counter(jsonl_dead["reason"].to_pylist())


def test_an_unusable_mapping_is_refused_with_what_is_missing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("event_type: OrderPlaced\n")
    result = CliRunner().invoke(
        main, ["backfill", str(DATA / "legacy_orders.csv"), "--mapping", str(bad)]
    )
    assert result.exit_code == 1
    assert "mapping lacks event_id" in result.output
