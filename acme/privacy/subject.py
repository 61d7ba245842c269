"""Find everything the lake and the serving warehouse hold about one data subject (a customer).

A subject is named by a customer id or an e-mail address. Its identifiers are the customer id,
every e-mail it registered or changed to, and the anonymous device ids of its sessions (a
session started before login belongs to the person too). Records are matched on those values:
raw events whose envelope or payload holds one of them as a whole JSON string, dead letters
whose raw bytes contain one, and rows of every served mart with its `customer_id`.
See docs/decisions/privacy.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from deltalake import DeltaTable

from acme.lake_layout import lake_path
from acme.settings import Settings
from acme.warehouse.duckdb_delta import connection_config

# Events that carry a customer's e-mail address, by contract (customers context).
EMAIL_EVENTS = ("CustomerRegistered", "ProfileUpdated")


class SubjectNotFoundError(LookupError):
    """No raw event names the identifier: nothing to export or erase."""


@dataclass(frozen=True)
class Subject:
    """One customer and every identifier the lake links to them."""

    customer_id: str
    emails: frozenset[str]
    device_ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def identifiers(self) -> frozenset[str]:
        return frozenset({self.customer_id, *self.emails, *self.device_ids})


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _raw_events_relation(settings: Settings) -> str:
    return f"delta_scan({sql_string(str(lake_path(settings.lake_root, 'raw_events')))})"


def _connect() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(config=connection_config())
    conn.execute("load delta")
    return conn


def _mentions(values: frozenset[str]) -> str:
    """A predicate on a raw-events row: the envelope ids or the payload hold one of `values` as a
    whole JSON string (quoted, so an id never matches inside a longer one)."""
    ids = ", ".join(sql_string(value) for value in sorted(values))
    quoted = " or ".join(
        f"contains(payload, {sql_string(chr(34) + value + chr(34))})" for value in sorted(values)
    )
    return f"(correlation_id in ({ids}) or causation_id in ({ids}) or {quoted})"


def _linked_values(
    conn: duckdb.DuckDBPyConnection,
    raw: str,
    field: str,
    event_types: tuple[str, ...],
    customer_id: str,
) -> frozenset[str]:
    """Every non-empty value of payload `field` in the customer's events of `event_types`."""
    rows = conn.execute(
        f"select distinct payload ->> '{field}' from {raw} "
        f"where event_type in ({', '.join(map(sql_string, event_types))}) "
        "and (payload ->> 'customer_id') = ?",
        [customer_id],
    ).fetchall()
    return frozenset(str(value) for (value,) in rows if value)


def resolve_subject(settings: Settings, identifier: str) -> Subject:
    """The subject a customer id or e-mail names, with the e-mails and devices linked to it."""
    identifier = identifier.strip()
    raw = _raw_events_relation(settings)
    with _connect() as conn:
        if "@" in identifier:
            rows = conn.execute(
                f"select distinct payload ->> 'customer_id' from {raw} "
                f"where event_type in ({', '.join(map(sql_string, EMAIL_EVENTS))}) "
                "and lower(payload ->> 'email') = lower(?)",
                [identifier],
            ).fetchall()
            if not rows:
                raise SubjectNotFoundError(
                    f"no customer registered or changed to e-mail {identifier}"
                )
            if len(rows) > 1:
                raise SubjectNotFoundError(
                    f"{identifier} belongs to {len(rows)} customers; name one by customer id"
                )
            customer_id = str(rows[0][0])
        else:
            customer_id = identifier
            mentioned = conn.execute(
                f"select count(*) from {raw} where {_mentions(frozenset({customer_id}))}"
            ).fetchone()
            if not mentioned or not mentioned[0]:
                raise SubjectNotFoundError(f"no raw event names customer {customer_id}")
        emails = _linked_values(conn, raw, "email", EMAIL_EVENTS, customer_id)
        devices = _linked_values(conn, raw, "anonymous_id", ("SessionStarted",), customer_id)
    return Subject(customer_id, emails, devices)


def raw_events_of(settings: Settings, subject: Subject) -> pa.Table:
    """Every raw event (every stored copy, producer retries included) that names the subject."""
    with _connect() as conn:
        return conn.execute(
            f"select * from {_raw_events_relation(settings)} "
            f"where {_mentions(subject.identifiers)} order by event_time, event_id"
        ).fetch_arrow_table()


def dead_letters_of(settings: Settings, subject: Subject) -> pa.Table:
    """Every dead letter whose raw bytes contain one of the subject's identifiers."""
    path = lake_path(settings.lake_root, "dead_letters")
    if not (path / "_delta_log").exists():
        return pa.table({})
    table = DeltaTable(str(path)).to_pyarrow_table()
    needles = [value.encode() for value in subject.identifiers]
    mask = pa.array(
        [
            raw is not None and any(needle in raw for needle in needles)
            for raw in table["raw"].to_pylist()
        ],
        type=pa.bool_(),
    )
    return table.filter(mask)


def served_rows_of(serving_path: Path, subject: Subject) -> dict[str, pa.Table]:
    """Rows of every served mart with a `customer_id` column that belong to the subject
    (dimension history, facts and derived scores such as segments), by table name."""
    if not serving_path.exists():
        return {}
    found: dict[str, pa.Table] = {}
    with duckdb.connect(str(serving_path), read_only=True) as conn:
        tables = conn.execute(
            "select schema_name, table_name from duckdb_columns() "
            "where column_name = 'customer_id' and database_name = current_database() "
            "order by schema_name, table_name"
        ).fetchall()
        for schema, table in tables:
            rows = conn.execute(
                f'select * from "{schema}"."{table}" where customer_id = ?', [subject.customer_id]
            ).fetch_arrow_table()
            found[f"{schema}.{table}"] = rows
    return found
