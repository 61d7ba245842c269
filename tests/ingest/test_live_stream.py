"""While the ingester runs: a v2 event lands without a restart, DuckDB reads the raw and live
tables through delta_scan, and the simulator's bad events each reach the dead-letter table with
the reason they were made to produce."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator

import duckdb
import orjson
import pytest

import tests.ingest.ingest_factories as f
from acme.settings import Settings
from acme.warehouse.duckdb_delta import connection_config
from ingest.ingester import FlushPolicy, Ingester
from ingest.live_metrics import live_views_sql
from ingest.tables import LIVE_MINUTE_METRICS, RAW_EVENTS
from simulator import SimulationConfig, simulate
from tests.ingest.ingest_helpers import (
    dead_letters,
    ingest_until_idle,
    produce,
    raw,
    raw_count,
    wait_for,
)

pytestmark = pytest.mark.kafka


@pytest.fixture
def running_ingester(settings: Settings) -> Iterator[Ingester]:
    ingester = Ingester(settings, FlushPolicy(max_latency_s=0.3))
    stop = threading.Event()
    thread = threading.Thread(target=ingester.run, args=(stop,))
    thread.start()
    yield ingester
    stop.set()
    thread.join(timeout=60)
    assert not thread.is_alive()


def test_a_v2_event_lands_mid_stream_and_old_readers_still_work(
    settings: Settings, running_ingester: Ingester
) -> None:
    session = str(uuid.uuid4())
    v1_order, v2_order = str(uuid.uuid4()), str(uuid.uuid4())
    produce(
        settings,
        [
            (
                "storefront",
                b"s",
                f.session_started(session, region="ARA", channel="social", at=f.BASE_TIME),
            ),
            (
                "orders",
                b"o1",
                f.order_placed(v1_order, session, total="10.00", region="ARA", at=f.BASE_TIME),
            ),
        ],
    )
    wait_for(lambda: raw_count(settings) == 2, 60, "the v1 events")
    produce(
        settings,
        [
            (
                "orders",
                b"o2",
                f.order_placed(
                    v2_order,
                    session,
                    total="20.00",
                    region="ARA",
                    at=f.BASE_TIME,
                    delivery_option="express",
                ),
            )
        ],
    )
    wait_for(lambda: raw_count(settings) == 3, 60, "the v2 event, with no restart")

    db = duckdb.connect(config=connection_config())
    db.execute("load delta")
    rows = db.execute(
        f"""select schema_version, json_extract_string(payload, '$.order_total'),
                   json_extract_string(payload, '$.delivery_option')
            from delta_scan('{RAW_EVENTS.path(settings.lake_root)}')
            where event_type = 'OrderPlaced' order by schema_version"""
    ).fetchall()
    assert rows == [(1, "10.00", None), (2, "20.00", "express")]

    views = live_views_sql(str(LIVE_MINUTE_METRICS.path(settings.lake_root)))
    for name, sql in views.items():
        db.execute(f"create view {name} as {sql}")
    assert db.execute(
        "select sum(orders_placed), sum(revenue_amount)::varchar from live_sales_by_minute"
    ).fetchone() == (2, "30.00")
    assert db.execute("select sum(active_sessions) from live_sessions_by_minute").fetchone() == (1,)


def test_the_simulators_bad_events_reach_dead_letters_with_their_reason(settings: Settings) -> None:
    run = simulate(
        SimulationConfig(seed=5, days=1, customers=200, bad_share=0.05, duplicate_share=0.03)
    )
    events = list(run.events)
    produce(settings, ((e.context, e.key, e.value) for e in events))

    ingest_until_idle(settings)

    bad = [e for e in events if not e.is_valid]
    assert bad, "the simulator made no bad events"
    dead = dead_letters(settings)
    assert Counter(
        zip(dead["raw"].to_pylist(), dead["reason"].to_pylist(), strict=True)
    ) == Counter((e.value, e.bad_kind) for e in bad)
    table = raw(settings)
    valid_ids = Counter(orjson.loads(e.value)["event_id"] for e in events if e.is_valid)
    assert any(n > 1 for n in valid_ids.values()), "the simulator made no duplicate deliveries"
    assert Counter(table["event_id"].to_pylist()) == valid_ids
