"""A crash between the per-table commits of one flush: each table skips what it already holds."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

import tests.ingest.ingest_factories as f
from acme.settings import Settings
from ingest.ingester import FlushPolicy
from ingest.writer import DeltaAppender
from tests.ingest.ingest_helpers import dead_letters, ingest_until_idle, live, produce, raw

pytestmark = pytest.mark.kafka


class SimulatedCrashError(Exception):
    """Stands for the process dying between two Delta commits."""


def test_dead_letters_and_live_metrics_are_not_repeated_after_a_crash_before_the_raw_commit(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    session, order = str(uuid.uuid4()), str(uuid.uuid4())
    produce(
        settings,
        [
            (
                "storefront",
                b"s",
                f.session_started(session, region="ARA", channel="email", at=f.BASE_TIME),
            ),
            (
                "orders",
                b"o",
                f.order_placed(order, session, total="42.00", region="ARA", at=f.BASE_TIME),
            ),
            ("orders", b"o", b"garbage"),
        ],
    )
    real_append = DeltaAppender.append

    def crash_on_raw(self: DeltaAppender, rows, transactions) -> None:  # type: ignore[no-untyped-def]
        if self.spec.relative_path == "raw/events":
            raise SimulatedCrashError
        real_append(self, rows, transactions)

    monkeypatch.setattr(DeltaAppender, "append", crash_on_raw)
    with pytest.raises(SimulatedCrashError):
        ingest_until_idle(settings, FlushPolicy(max_latency_s=60))
    assert dead_letters(settings).num_rows == 1  # committed before the crash
    assert sum(live(settings)["orders_placed"].to_pylist()) == 1
    assert raw(settings).num_rows == 0

    monkeypatch.setattr(DeltaAppender, "append", real_append)
    ingest_until_idle(settings)  # the restart replays the batch from the raw table's position

    assert raw(settings).num_rows == 2
    assert Counter(dead_letters(settings)["reason"].to_pylist()) == {"not_json": 1}
    assert sum(live(settings)["orders_placed"].to_pylist()) == 1
