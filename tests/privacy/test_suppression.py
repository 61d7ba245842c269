"""An erased customer is not brought back: ingest from Kafka and backfill from files drop the
events that still name them, and land everything else."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from acme.privacy.erase import RECEIPTS_SCHEMA, record_receipt, subject_key
from acme.privacy.suppression import identifier_key
from acme.settings import Settings
from ingest.backfill import backfill_files
from ingest.ingester import FlushPolicy, Ingester
from tests.ingest.ingest_factories import BASE_TIME, order_placed
from tests.ingest.ingest_helpers import produce, raw

ERASED_CUSTOMER = "5d0f4f8e-0a40-4c57-9a8e-111111111111"
ERASED_ORDER, KEPT_ORDER = str(uuid.uuid4()), str(uuid.uuid4())


def order_of(order_id: str, customer_id: str) -> bytes:
    session = str(uuid.uuid4())
    event = orjson.loads(order_placed(order_id, session, total="12.50", region="CA", at=BASE_TIME))
    event["payload"]["customer_id"] = customer_id
    return orjson.dumps(event)


def erase(settings: Settings, customer_id: str) -> None:
    salt = settings.pii_salt.get_secret_value()
    receipt = dict.fromkeys(RECEIPTS_SCHEMA.names, 0) | {
        "subject_key": subject_key(settings, customer_id),
        "identifier_keys": [identifier_key(salt, customer_id)],
        "erased_at": datetime.now(UTC),
        "warehouse_release": None,
    }
    record_receipt(settings, receipt)


@pytest.mark.kafka
def test_ingest_drops_the_events_of_an_erased_customer(settings: Settings) -> None:
    erase(settings, ERASED_CUSTOMER)
    produce(
        settings,
        [
            ("orders", None, order_of(ERASED_ORDER, ERASED_CUSTOMER)),
            ("orders", None, order_of(KEPT_ORDER, "5d0f4f8e-0a40-4c57-9a8e-222222222222")),
        ],
    )
    ingester = Ingester(settings, FlushPolicy(max_latency_s=0.5))
    ingester.run(threading.Event(), until_idle=True)

    orders = [orjson.loads(p)["order_id"] for p in raw(settings)["payload"].to_pylist()]
    assert orders == [KEPT_ORDER]
    assert ingester.metrics.suppressed._value.get() == 1


def test_backfill_drops_the_events_of_an_erased_customer(
    settings: Settings, tmp_path: Path
) -> None:
    erase(settings, ERASED_CUSTOMER)
    export = tmp_path / "orders.jsonl"
    export.write_bytes(
        order_of(ERASED_ORDER, ERASED_CUSTOMER.upper())
        + b"\n"
        + order_of(KEPT_ORDER, "5d0f4f8e-0a40-4c57-9a8e-333333333333")
        + b"\n"
    )
    (report,) = backfill_files(settings, [export], None)

    assert "1 events loaded" in report
    assert "1 of erased customers dropped" in report
    orders = [orjson.loads(p)["order_id"] for p in raw(settings)["payload"].to_pylist()]
    assert orders == [KEPT_ORDER]
