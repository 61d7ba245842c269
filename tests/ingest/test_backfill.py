"""Backfill loads files into the raw table idempotently; mappings turn foreign layouts into
events that pass the same contracts as Kafka events."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv
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
MAPPINGS = Path(__file__).parents[2] / "ingest" / "mappings"
MAPPING = MAPPINGS / "legacy_orders.yml"


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


def lake(tmp_path: Path, name: str = "lake") -> Settings:
    """A private lake; backfill needs no broker."""
    return Settings(lake_root=tmp_path / name)


def payloads(settings: Settings, event_type: str) -> list[dict[str, Any]]:
    table = raw(settings)
    return [
        orjson.loads(row["payload"]) for row in table.to_pylist() if row["event_type"] == event_type
    ]


def test_a_catalogue_and_an_orders_export_backfill_to_the_cent_and_a_rerun_adds_nothing(
    tmp_path: Path,
) -> None:
    settings = lake(tmp_path)
    products = ("backfill", str(DATA / "products.csv"), "--mapping", str(MAPPINGS / "products.yml"))
    orders = (
        "backfill",
        str(DATA / "orders_export.csv"),
        "--mapping",
        str(MAPPINGS / "orders_export.yml"),
    )
    outputs = []
    for _ in range(2):
        for command in (products, orders):
            result = invoke(settings, *command)
            assert result.exit_code == 0, result.output
            outputs.append(result.output)
    # The export's products are the catalogue's (same ids, `if_loaded: keep`): skipped.
    assert "7 events loaded, 0 dead letters (4 skipped: already in the raw table" in outputs[1]
    assert "0 events loaded, 0 dead letters (4 were already loaded)" in outputs[2]
    assert "0 events loaded, 0 dead letters (11 were already loaded)" in outputs[3]

    table = raw(settings)
    assert Counter(table["event_type"].to_pylist()) == {
        "ProductCreated": 4,  # the catalogue's; the export's `if_loaded: keep` left them
        "CustomerRegistered": 3,
        "OrderPlaced": 4,
    }
    assert table.num_rows == len(set(table["event_id"].to_pylist()))
    assert dead_letters(settings).num_rows == 0
    costs = {p["sku"]: p["cost"] for p in payloads(settings, "ProductCreated")}
    assert costs == {"P-CHAIR": "92.40", "P-LAMP": "9.10", "P-PEN": "1.20", "P-DESK": "210.00"}
    placed = payloads(settings, "OrderPlaced")
    # Hand-computed from the export (see test_mapping.py): every amount to the cent.
    assert sorted(p["order_total"] for p in placed) == ["12.56", "265.46", "395.12", "405.11"]
    line_totals = [Decimal(line["line_total"]) for p in placed for line in p["lines"]]
    assert sum(line_totals) == Decimal("973.15")
    for order in placed:
        assert Decimal(order["subtotal"]) == sum(Decimal(li["line_total"]) for li in order["lines"])
        assert Decimal(order["order_total"]) == Decimal(order["subtotal"]) + Decimal(
            order["shipping_fee"]
        ) + Decimal(order["tax"])


def split(tmp_path: Path) -> tuple[Path, Path]:
    """The orders export cut in two files between the two rows of order SO-5003."""
    header, *rows = (DATA / "orders_export.csv").read_text().splitlines(keepends=True)
    cut = next(i for i, row in enumerate(rows) if row.startswith("SO-5003")) + 1
    first, second = tmp_path / "orders-part1.csv", tmp_path / "orders-part2.csv"
    first.write_text(header + "".join(rows[:cut]))
    second.write_text(header + "".join(rows[cut:]))
    return first, second


def test_an_order_split_across_two_files_of_one_run_is_one_event(tmp_path: Path) -> None:
    mapping = load_mapping(MAPPINGS / "orders_export.yml")
    whole, parts = lake(tmp_path, "whole"), lake(tmp_path, "parts")
    backfill_files(whole, [DATA / "orders_export.csv"], mapping)
    backfill_files(parts, list(split(tmp_path)), mapping)

    def events(settings: Settings) -> dict[str, tuple[Any, ...]]:
        return {
            row["event_id"]: (row["event_type"], row["event_time"], row["payload"])
            for row in raw(settings).to_pylist()
        }

    assert events(parts) == events(whole)
    assert raw(parts).num_rows == 11
    assert sorted(len(p["lines"]) for p in payloads(parts, "OrderPlaced")) == [1, 1, 2, 2]


def test_an_order_split_across_two_runs_is_refused_and_nothing_of_the_run_is_loaded(
    tmp_path: Path,
) -> None:
    settings = lake(tmp_path)
    first, second = split(tmp_path)
    mapping = str(MAPPINGS / "orders_export.yml")
    assert invoke(settings, "backfill", str(first), "--mapping", mapping).exit_code == 0
    before = raw(settings).num_rows

    result = invoke(settings, "backfill", str(second), "--mapping", mapping)
    assert result.exit_code == 1
    assert f"{second}: row 1: events[2] (OrderPlaced): event " in result.output
    assert "is already in the raw table with other content" in result.output
    assert "pass all its files to one run" in result.output
    assert raw(settings).num_rows == before


def test_a_typed_parquet_export_makes_the_same_events_as_its_csv(tmp_path: Path) -> None:
    """Parquet exports carry doubles for amounts and dates as dates: the mapping reads a double
    through its shortest repr (189.99, not 189.990000000000009...) and a date as midnight UTC."""
    money = ["Unit Price", "Unit Cost", "Discount Rate", "Shipping", "Tax"]
    table = pa_csv.read_csv(
        DATA / "orders_export.csv",
        convert_options=pa_csv.ConvertOptions(
            column_types={
                **{column: pa.float64() for column in money},
                "Quantity": pa.int64(),
                "Order Date": pa.timestamp("s"),
                "Postal Code": pa.string(),
            },
            timestamp_parsers=["%m/%d/%Y"],
        ),
    )
    dates = table.schema.get_field_index("Order Date")
    table = table.set_column(dates, "Order Date", table["Order Date"].cast(pa.date32()))
    assert table.schema.field("Unit Price").type == pa.float64()
    parquet = tmp_path / "orders_export.parquet"
    pq.write_table(table, parquet)
    mapping = load_mapping(MAPPINGS / "orders_export.yml")
    from_csv, from_parquet = lake(tmp_path, "csv"), lake(tmp_path, "parquet")
    backfill_files(from_csv, [DATA / "orders_export.csv"], mapping)
    backfill_files(from_parquet, [parquet], mapping)

    def events(settings: Settings) -> dict[str, tuple[Any, ...]]:
        return {r["event_id"]: (r["event_time"], r["payload"]) for r in raw(settings).to_pylist()}

    assert events(from_parquet) == events(from_csv)
    assert len(events(from_csv)) == 11


def test_a_ragged_csv_row_is_refused_naming_the_row(tmp_path: Path) -> None:
    export = tmp_path / "orders.csv"
    lines = (DATA / "orders_export.csv").read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace(",USD", "")  # data row 2 lost its last field
    export.write_text("".join(lines))
    result = invoke(
        lake(tmp_path), "backfill", str(export), "--mapping", str(MAPPINGS / "orders_export.yml")
    )
    assert result.exit_code == 1
    assert f"{export}: row 2: its number of fields differs from the header's 22" in result.output


def test_rows_whose_event_id_comes_out_empty_are_dead_letters_not_a_clash(tmp_path: Path) -> None:
    """Two rows without an order number make two events without an id: the contract refuses each
    (they are not 'one id with two contents')."""
    export = tmp_path / "legacy.csv"
    lines = (DATA / "legacy_orders.csv").read_text().splitlines(keepends=True)
    lines[1], lines[2] = lines[1].replace("L-1001", ""), lines[2].replace("L-1002", "")
    export.write_text("".join(lines))
    settings = lake(tmp_path)
    (report,) = backfill_files(settings, [export], load_mapping(MAPPING))
    assert "1 events loaded, 3 dead letters" in report  # and row 3's quantity -1
    assert Counter(dead_letters(settings)["reason"].to_pylist()) == {
        "wrong_type": 2,
        "negative_quantity": 1,
    }
