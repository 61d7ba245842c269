"""The real-time path: per-minute partial aggregates of each micro-batch, appended to Delta.

Each flush appends the partial sums of the events it carries; readers sum them by minute (see
docs/decisions/live-metrics.md for the columns and the DuckDB views). Append-only partials need no
update of earlier rows, so DuckDB's `delta_scan` reads consistent snapshots while the ingester
writes, and the rows are committed exactly once like the raw table (own app-transaction ids).

Duplicate deliveries (same `event_id`) are counted once through a bounded window of recent ids of
the counted event types; the window is seeded from the raw table on start, so a restart does not
double-count a duplicate whose original arrived just before the crash.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import unquote

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
from deltalake import DeltaTable

from ingest.tables import LIVE_MINUTE_METRICS_SCHEMA, RAW_EVENTS_SCHEMA, UTC_MICROS

log = logging.getLogger(__name__)

STREAM = "live"
"""Name of this output in app-transaction ids (see `ingest.offsets.app_id`)."""

COUNTED_TYPES: Final = frozenset({"OrderPlaced", "PaymentCompleted", "PaymentFailed"})
"""Event types whose count would be wrong if a duplicate delivery were counted twice."""
CONTEXT_TYPES: Final = frozenset({"SessionStarted"})
"""Event types that only feed the lookups (session -> channel and region)."""
OBSERVED_TYPES: Final = COUNTED_TYPES | CONTEXT_TYPES
"""Event types `LiveAggregator.observe` reads one by one; the ingester skips the call for others."""
SESSION_TYPES: Final = frozenset(
    {"SessionStarted", "PageViewed", "ProductViewed", "SearchPerformed", "OrderPlaced"}
)
"""Event types that show a storefront session was active in a minute."""
_SESSION_TYPES_ARRAY: Final = pa.array(sorted(SESSION_TYPES), pa.string())
# Payloads hold one top-level session_id and no unknown fields (contracts), and a quote inside a
# JSON string is escaped, so the first match is the session id: no JSON parsing needed.
_SESSION_ID: Final = r'"session_id"\s*:\s*"(?P<session_id>[^"]+)"'

DEDUPE_WINDOW: Final = 200_000
LOOKUP_SIZE: Final = 200_000
SESSION_MINUTES_SIZE: Final = 200_000


class _Bounded(OrderedDict[Any, Any]):
    """An insertion-ordered map that forgets its oldest entries beyond `capacity`."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity

    def remember(self, key: Any, value: Any = None) -> None:
        self[key] = value
        if len(self) > self.capacity:
            self.popitem(last=False)


class LiveEvent(Protocol):
    """The fields of a valid event the live metrics read (`acme.contracts.ValidatedEvent` has
    them, and so do rows read back from the raw table)."""

    @property
    def event_id(self) -> str: ...
    @property
    def event_type(self) -> str: ...
    @property
    def event_time(self) -> datetime: ...
    @property
    def payload(self) -> dict[str, Any]: ...


@dataclass
class _Partial:
    orders_placed: int = 0
    revenue_amount: Decimal = Decimal("0.00")
    payment_successes: int = 0
    payment_failures: int = 0


# (minute, region, channel, payment_provider, currency, session_id)
_Key = tuple[datetime, str | None, str | None, str | None, str | None, str | None]


class LiveAggregator:
    """Per-minute partial aggregates of the events seen since the last `drain`."""

    def __init__(self) -> None:
        self._seen: _Bounded = _Bounded(DEDUPE_WINDOW)
        self._sessions: _Bounded = _Bounded(LOOKUP_SIZE)  # session_id -> (region, channel)
        self._orders: _Bounded = _Bounded(LOOKUP_SIZE)  # order_id -> (region, channel)
        self._session_minutes: _Bounded = _Bounded(SESSION_MINUTES_SIZE)
        self._partials: dict[_Key, _Partial] = {}
        self._active: list[pa.Table] = []  # (minute, session_id) pairs not yet drained

    def seed(self, events: Iterable[LiveEvent]) -> None:
        """Remember recent, already counted events (ids and lookups) without counting them."""
        for event in events:
            self.observe(event, count=False)

    def observe(self, event: LiveEvent, *, count: bool) -> None:
        """Account for one valid event of the `OBSERVED_TYPES` (others are ignored); with
        `count=False` only remember it (it was counted in a partial already committed before a
        restart). Session activity is not read here but from whole batches (`observe_activity`)."""
        event_type = event.event_type
        if event_type not in OBSERVED_TYPES:
            return
        payload = event.payload
        if event_type in COUNTED_TYPES:
            if event.event_id in self._seen:
                return  # a duplicate delivery: counted once
            self._seen.remember(event.event_id)
        if event_type == "SessionStarted":
            self._sessions.remember(payload["session_id"], (payload["region"], payload["channel"]))
        elif event_type == "OrderPlaced":
            region = payload["shipping_region"]
            channel = self._sessions.get(payload["session_id"], (None, None))[1]
            self._orders.remember(payload["order_id"], (region, channel))
        if not count:
            return
        minute = event.event_time.replace(second=0, microsecond=0)
        if event_type == "OrderPlaced":
            region, channel = self._orders[payload["order_id"]]
            key = (minute, region, channel, None, payload["currency"], None)
            partial = self._partials.setdefault(key, _Partial())
            partial.orders_placed += 1
            partial.revenue_amount += Decimal(payload["order_total"])
        elif event_type in ("PaymentCompleted", "PaymentFailed"):
            region, channel = self._orders.get(payload["order_id"], (None, None))
            key = (minute, region, channel, payload["provider"], payload["currency"], None)
            partial = self._partials.setdefault(key, _Partial())
            if event_type == "PaymentCompleted":
                partial.payment_successes += 1
            else:
                partial.payment_failures += 1

    def observe_activity(self, rows: pa.Table) -> None:
        """Record which sessions were active in which minute, from raw-event rows to count
        (columns `event_type`, `event_time`, `payload`). Half the stream is storefront traffic
        whose only contribution is this, so it is computed column-wise in Arrow, not per event."""
        rows = rows.filter(pc.is_in(rows["event_type"], value_set=_SESSION_TYPES_ARRAY))
        found = pc.extract_regex(rows["payload"], _SESSION_ID)
        matched = pc.is_valid(found)
        pairs = (
            pa.table(
                {
                    "minute": pc.floor_temporal(rows["event_time"].filter(matched), unit="minute"),
                    "session_id": pc.struct_field(found.filter(matched), 0),
                }
            )
            .group_by(["minute", "session_id"], use_threads=False)
            .aggregate([])
        )
        # Readers count distinct sessions: one row per minute and session is enough, also across
        # batches (a bounded window, so a long catch-up may repeat a few rows, which is harmless).
        fresh = []
        window = self._session_minutes
        keys = zip(
            pairs["minute"].cast(pa.int64()).to_pylist(),
            pairs["session_id"].to_pylist(),
            strict=True,
        )
        for index, key in enumerate(keys):
            if key not in window:
                window.remember(key)
                fresh.append(index)
        if fresh:
            self._active.append(pairs.take(fresh))

    def drain(self, flushed_at: datetime) -> pa.Table:
        """The partials accumulated since the last drain, as rows of the live table; resets."""
        keys = list(self._partials)
        values = [self._partials[k] for k in keys]
        self._partials = {}
        columns: dict[str, list[Any]] = {
            "minute": [k[0] for k in keys],
            "region": [k[1] for k in keys],
            "channel": [k[2] for k in keys],
            "payment_provider": [k[3] for k in keys],
            "currency": [k[4] for k in keys],
            "session_id": [k[5] for k in keys],
            "orders_placed": [v.orders_placed for v in values],
            "revenue_amount": [v.revenue_amount for v in values],
            "payment_successes": [v.payment_successes for v in values],
            "payment_failures": [v.payment_failures for v in values],
            "flushed_at": [flushed_at] * len(keys),
        }
        partials = pa.Table.from_pydict(columns, schema=LIVE_MINUTE_METRICS_SCHEMA)
        return pa.concat_tables([partials, self._drain_activity(flushed_at)])

    def _drain_activity(self, flushed_at: datetime) -> pa.Table:
        """One row per new (minute, session), with the session's region and channel as known
        now (the batch's own SessionStarted events included)."""
        active = pa.concat_tables(self._active) if self._active else _EMPTY_ACTIVITY
        self._active = []
        sessions = active["session_id"]
        known = [self._sessions.get(s, (None, None)) for s in sessions.to_pylist()]
        n = active.num_rows
        no_text = pa.nulls(n, pa.string())
        zero = pa.repeat(pa.scalar(0, pa.int64()), n)
        columns = {
            "minute": active["minute"],
            "region": pa.array([k[0] for k in known], pa.string()),
            "channel": pa.array([k[1] for k in known], pa.string()),
            "payment_provider": no_text,
            "currency": no_text,
            "session_id": sessions,
            "orders_placed": zero,
            "revenue_amount": pa.repeat(pa.scalar(Decimal("0.00"), pa.decimal128(18, 2)), n),
            "payment_successes": zero,
            "payment_failures": zero,
            "flushed_at": pa.repeat(pa.scalar(flushed_at, UTC_MICROS), n),
        }
        return pa.Table.from_pydict(columns, schema=LIVE_MINUTE_METRICS_SCHEMA)


_EMPTY_ACTIVITY: Final = pa.table(
    {"minute": pa.array([], UTC_MICROS), "session_id": pa.array([], pa.string())}
)

_SEED_SCHEMA: Final = pa.schema(
    [
        RAW_EVENTS_SCHEMA.field(name)
        for name in ("event_id", "event_type", "event_time", "payload", "ingested_at")
    ]
)


@dataclass(frozen=True)
class StoredEvent:
    """A raw-table row in the shape `LiveAggregator.observe` reads."""

    event_id: str
    event_type: str
    event_time: datetime
    payload_json: bytes

    @property
    def payload(self) -> dict[str, Any]:
        parsed: dict[str, Any] = orjson.loads(self.payload_json)
        return parsed


def recent_events(raw: DeltaTable, horizon: timedelta) -> list[StoredEvent]:
    """Raw events of the live-relevant types ingested within `horizon`, oldest first, to seed
    the aggregator's window and lookups after a restart. Files are chosen by the Delta log's
    `ingested_at` statistics, so a restart reads the last hour's files, not the whole table."""
    cutoff = datetime.now(UTC) - horizon
    actions = pa.table(raw.get_add_actions(flatten=True))
    newest = actions.column("max.ingested_at").to_pylist() if actions.num_rows else []
    recent = [
        str(Path(raw.table_uri.removeprefix("file://")) / unquote(path))
        for path, stamp in zip(actions.column("path").to_pylist(), newest, strict=True)
        if stamp is None or stamp >= cutoff
    ]
    wanted = pa.array(sorted(COUNTED_TYPES | CONTEXT_TYPES))
    table = (
        pads.dataset(recent, schema=_SEED_SCHEMA, format="parquet")
        .to_table(
            filter=(pads.field("ingested_at") >= pa.scalar(cutoff, pa.timestamp("us", tz="UTC")))
            & pads.field("event_type").isin(wanted),
        )
        .sort_by("ingested_at")
    )
    events = [
        StoredEvent(row["event_id"], row["event_type"], row["event_time"], row["payload"].encode())
        for row in table.to_pylist()
    ]
    log.info("live metrics window seeded", extra={"events": len(events)})
    return events


def live_views_sql(table_path: str) -> dict[str, str]:
    """DuckDB views that sum the partials by minute, for the live dashboard (Superset reads them
    through `delta_scan`, which sees a consistent snapshot while the ingester appends)."""
    source = f"delta_scan('{table_path}')"
    return {
        "live_sales_by_minute": f"""
            select minute, region, channel, currency,
                   sum(orders_placed) as orders_placed,
                   sum(revenue_amount) as revenue_amount
            from {source}
            where session_id is null and payment_provider is null
            group by all""",
        "live_sessions_by_minute": f"""
            select minute, region, channel, count(distinct session_id) as active_sessions
            from {source}
            where session_id is not null
            group by all""",
        "live_payments_by_minute": f"""
            select minute, payment_provider, region, channel,
                   sum(payment_successes) as payment_successes,
                   sum(payment_failures) as payment_failures
            from {source}
            where payment_provider is not null
            group by all""",
    }
