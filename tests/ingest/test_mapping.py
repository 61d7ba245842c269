"""Mapping files: the shipped examples make contract-valid events with exact amounts, rounding is
the one documented, and bad mappings or bad values fail naming the file, row and field."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from acme.contracts import validate
from ingest.mapping import BackfillError, EventMapping, Row, load_mapping

DATA = Path(__file__).parent / "data"
MAPPINGS = Path(__file__).parents[2] / "ingest" / "mappings"


def csv_rows(text: str, file: str = "export.csv") -> list[Row]:
    return [
        Row(file, number, record)
        for number, record in enumerate(csv.DictReader(io.StringIO(text)), 1)
    ]


def events(mapping: EventMapping, rows: list[Row]) -> list[dict[str, Any]]:
    """The mapped events, each passed through the same contract check as a Kafka event."""
    made = [event.value for event in mapping.events(rows)]
    for value in made:
        validate(value)
    return [orjson.loads(value) for value in made]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.yml"
    path.write_text(text)
    return path


def test_the_orders_export_makes_products_customers_and_orders_with_exact_amounts() -> None:
    mapping = load_mapping(MAPPINGS / "orders_export.yml")
    rows = csv_rows((DATA / "orders_export.csv").read_text())
    made = events(mapping, rows)

    assert Counter(e["event_type"] for e in made) == {
        "ProductCreated": 4,
        "CustomerRegistered": 3,
        "OrderPlaced": 4,
    }
    orders = {e["payload"]["order_id"]: e for e in made if e["event_type"] == "OrderPlaced"}
    by_total = {e["payload"]["order_total"]: e["payload"] for e in orders.values()}
    # Hand-computed: discount = round_half_up(price x quantity x rate), line = price x qty - disc.
    assert set(by_total) == {"405.11", "12.56", "265.46", "395.12"}
    so_5001 = by_total["405.11"]
    assert [(li["line_number"], li["discount"], li["line_total"]) for li in so_5001["lines"]] == [
        (1, "38.00", "341.98"),  # 189.99 x 2 x 0.10 = 37.998
        (2, "1.23", "23.27"),  # 24.50 x 0.05 = 1.225: half-up, not half-even's 1.22
    ]
    assert (so_5001["subtotal"], so_5001["shipping_fee"], so_5001["tax"]) == (
        "365.25",
        "12.50",
        "27.36",
    )
    # 4.35 x 3 x 0.1 is 1.3049999... in floating point (round() gives 1.3); exact is 1.305.
    assert by_total["12.56"]["lines"][0]["discount"] == "1.31"
    assert by_total["12.56"]["shipping_fee"] == "0.00"  # "0" in the export
    so_5003 = by_total["265.46"]["lines"]
    assert so_5003[0]["discount"] == "0.00"  # empty rate: the default 0
    assert so_5003[1]["line_total"] == "36.97"  # 43.50 - round(6.525)
    assert by_total["265.46"]["shipping_city"] == "Cambridge"  # the order's own address

    products = {e["payload"]["sku"]: e for e in made if e["event_type"] == "ProductCreated"}
    chair = products["P-CHAIR"]
    assert (chair["payload"]["price"], chair["payload"]["cost"]) == ("189.99", "92.40")
    assert chair["event_time"] == "2024-03-14T00:00:00Z"  # first sale, 03/14/2024
    assert products["P-LAMP"]["payload"]["brand"] == "Unbranded"  # default for an empty brand
    line_products = {line["product_id"] for o in orders.values() for line in o["payload"]["lines"]}
    assert line_products == {p["payload"]["product_id"] for p in products.values()}

    ada = next(
        e["payload"]
        for e in made
        if e["event_type"] == "CustomerRegistered" and e["payload"]["first_name"] == "Ada"
    )
    assert (ada["city"], ada["postal_code"]) == ("Boston", "02108")  # first order's address


def test_the_products_file_divides_cents_exactly_and_parses_day_month_year() -> None:
    made = events(
        load_mapping(MAPPINGS / "products.yml"), csv_rows((DATA / "products.csv").read_text())
    )
    assert [(e["payload"]["sku"], e["payload"]["price"], e["payload"]["cost"]) for e in made] == [
        ("P-CHAIR", "189.99", "92.40"),
        ("P-LAMP", "24.50", "9.10"),
        ("P-PEN", "4.35", "1.20"),
        ("P-DESK", "449.00", "210.00"),
    ]
    assert made[1]["event_time"] == "2023-02-15T00:00:00Z"  # 15.02.2023
    assert made[1]["payload"]["brand"] == "Unbranded"


ORDER_LINES = """\
order,day,sku,qty,sales,rate
A-1,2024-05-01,S1,4,80.00,0.2
A-1,2024-05-01,S2,1,9.99,0.1
"""

AFTER_DISCOUNT = """\
event_id: {uuid5: "t/{order}"}
event_type: OrderPlaced
schema_version: 1
event_time: {timestamp: day, format: "%Y-%m-%d", timezone: Europe/Paris}
source_service: orders
correlation_id: {uuid5: "c/{order}"}
group_by: [order]
payload:
  order_id: {uuid5: "o/{order}"}
  customer_id: {uuid5: "cu/{order}"}
  cart_id: {uuid5: "ca/{order}"}
  session_id: {uuid5: "s/{order}"}
  warehouse_id: {uuid5: "w"}
  currency: EUR
  lines:
    each_row:
      line_number: {row_number: true}
      product_id: {uuid5: "p/{sku}"}
      quantity: {column: qty}
      # amounts after the discount: the list price is sales / (1 - rate), per unit
      unit_price: &unit {round: {divide: [{divide: [sales, {subtract: [1, rate]}]}, qty]}}
      discount: {subtract: [{multiply: [*unit, qty]}, sales]}
      line_total: {column: sales}
  subtotal: {sum: sales}
  shipping_fee: 0.00
  tax: 0.00
  order_total: {sum: sales}
  shipping_city: Paris
  shipping_region: IDF
  shipping_country: FR
"""


def test_amounts_after_a_discount_rate_recover_the_list_price_exactly(tmp_path: Path) -> None:
    (order,) = events(load_mapping(write(tmp_path, AFTER_DISCOUNT)), csv_rows(ORDER_LINES))
    lines = [
        (li["unit_price"], li["discount"], li["line_total"]) for li in order["payload"]["lines"]
    ]
    assert lines == [("25.00", "20.00", "80.00"), ("11.10", "1.11", "9.99")]  # 9.99 / 0.9
    assert order["payload"]["order_total"] == "89.99"
    assert order["event_time"] == "2024-04-30T22:00:00Z"  # midnight in Paris, summer time


HALVES = """\
event_id: {uuid5: "p/{sku}"}
event_type: ProductCreated
schema_version: 1
event_time: "2024-01-01T00:00:00Z"
source_service: catalog
correlation_id: {uuid5: "p/{sku}"}
payload:
  product_id: {uuid5: "p/{sku}"}
  sku: {column: sku}
  name: n
  brand: b
  department: d
  category: c
  subcategory: s
  price: PRICE
  cost: 0.00
  currency: USD
"""


@pytest.mark.parametrize(
    ("rounding", "expected"),
    [
        ("{round: {divide: [pair, 2]}}", ["2.35", "2.36", "0.13"]),
        ("{round: {divide: [pair, 2]}, mode: half_up}", ["2.35", "2.36", "0.13"]),
        ("{round: {divide: [pair, 2]}, mode: half_even}", ["2.34", "2.36", "0.12"]),
    ],
)
def test_round_is_half_up_to_the_cent_unless_the_mapping_asks_for_half_even(
    tmp_path: Path, rounding: str, expected: list[str]
) -> None:
    rows = csv_rows("sku,pair\nA,4.69\nB,4.71\nC,0.25\n")  # halves: 2.345, 2.355, 0.125
    made = events(load_mapping(write(tmp_path, HALVES.replace("PRICE", rounding))), rows)
    assert [e["payload"]["price"] for e in made] == expected


def test_a_money_field_with_more_than_cents_is_an_error_not_a_silent_rounding(
    tmp_path: Path,
) -> None:
    mapping = load_mapping(write(tmp_path, HALVES.replace("PRICE", "{divide: [pair, 2]}")))
    with pytest.raises(BackfillError) as error:
        events(mapping, csv_rows("sku,pair\nA,4.68\nB,4.69\n"))
    assert str(error.value) == (
        "export.csv: row 2: events[0] (ProductCreated).payload.price: 2.345 has more than two "
        "decimal places; round it with {round: ...}"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("  currency: EUR", "  currency: EUR\n  colour: red"),
            "events[0] (OrderPlaced).payload: the contract has no field colour",
        ),
        (
            ("  tax: 0.00\n", ""),
            "events[0] (OrderPlaced).payload: the contract requires tax",
        ),
        (
            ("quantity: {column: qty}", "quantity: {column: qty, typo: 1}"),
            "events[0] (OrderPlaced).payload.lines[].quantity: column does not take typo",
        ),
        (
            ("{subtract: [1, rate]}", "{subtract: [1, rate, 2]}"),
            "subtract takes two operands",
        ),
        (("qty]}}", "qty]}, mode: up}"), "mode is one of half_up, half_even"),
        (("timezone: Europe/Paris", "timezone: Mars/Olympus"), "unknown timezone 'Mars/Olympus'"),
        (("source_service: orders", "source_service: catalog"), "OrderPlaced comes from 'orders'"),
        (("schema_version: 1", "schema_version: 9"), "must name a contract (literals)"),
        (("group_by: [order]", "group_by: order"), "group_by is a list of column names"),
        (("event_id: {uuid5:", "event_id: {column: x, uuid5:"), "one operator per node"),
    ],
)
def test_a_bad_mapping_fails_at_load_naming_file_and_field(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    text = AFTER_DISCOUNT.replace(*change)
    assert text != AFTER_DISCOUNT
    with pytest.raises(BackfillError) as error:
        load_mapping(write(tmp_path, text))
    assert str(error.value).startswith(f"{tmp_path / 'mapping.yml'}: ")
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            (",189.99,92.40,2,", ",189.9O,92.40,2,"),
            "export.csv: rows 1, 4: events[0] (ProductCreated).payload.price: '189.9O' is not "
            "a number",
        ),
        (
            ("SO-5002,03/15/2024", "SO-5002,15/03/2024"),
            "export.csv: row 3: events[0] (ProductCreated).event_time.min: '15/03/2024' "
            "matches none of the formats ['%m/%d/%Y']",
        ),
        (
            (",4.35,1.20,3,0.1,", ",4.35,1.20,3,NaN,"),
            "export.csv: row 3: events[2] (OrderPlaced).payload.lines[].discount.round: 'NaN' "
            "is not a number",
        ),
        (  # a one-row order may have any shipping: this edit is fine
            ("Furniture,Tables,449.00,210.00,1,0.2,0,", "Furniture,Tables,449.00,210.00,1,0.2,1,"),
            None,
        ),
        (
            ("Lighting,24.50,9.10,1,0.05,12.50,", "Lighting,24.50,9.10,1,0.05,12.90,"),
            "export.csv: rows 1, 2: events[2] (OrderPlaced).payload.shipping_fee: column "
            "'Shipping' is '12.50' on export.csv: row 1 but '12.90' on export.csv: row 2, in "
            "one group",
        ),
    ],
)
def test_a_bad_value_stops_the_mapping_naming_file_row_and_field(
    edit: tuple[str, str], message: str | None
) -> None:
    mapping = load_mapping(MAPPINGS / "orders_export.yml")
    text = (DATA / "orders_export.csv").read_text().replace(*edit)
    if message is None:  # edits that are fine: the mapping must not refuse good data
        events(mapping, csv_rows(text))
        return
    with pytest.raises(BackfillError) as error:
        events(mapping, csv_rows(text))
    assert str(error.value).startswith(message)


def test_the_original_one_row_per_event_layout_still_loads() -> None:
    """The legacy layout (envelope at the top, no `events:`) is one entry, backwards compatible."""
    mapping = load_mapping(MAPPINGS / "legacy_orders.yml")
    rows = csv_rows((DATA / "legacy_orders.csv").read_text())
    made = [orjson.loads(event.value) for event in mapping.events(rows)]
    assert [e["payload"]["order_total"] for e in made] == ["52.66", "132.00", "6.00", "71.52"]
    assert made[0]["event_time"] == "2019-11-29T14:03:11Z"
