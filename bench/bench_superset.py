"""Chart query time per dashboard: p50/p95 of Superset's chart data API, uncached.

Runs a real Superset (its own environment, `acme-superset up`) against the serving database the
pipeline published, if there is one with marts, else against a synthetic serving database of the
same tables generated here at `SYNTHETIC_ORDERS` orders (about 10M events' worth of order, line,
payment and session rows). Each chart of each dashboard is queried `ROUNDS` times with
`force=true`, so every timing includes the DuckDB query, never Superset's cache.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import requests
from deltalake import write_deltalake

from acme.settings import REPO_ROOT, get_settings
from ingest.tables import DEAD_LETTERS, LIVE_MINUTE_METRICS

ROUNDS = 7
SYNTHETIC_ORDERS = 1_500_000
SUPERSET = REPO_ROOT / "superset" / ".venv" / "bin" / "acme-superset"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _has_marts(path: Path) -> bool:
    if not path.exists():
        return False
    with duckdb.connect(str(path), read_only=True) as conn:
        return bool(
            conn.execute(
                "select count(*) from duckdb_tables() where schema_name = 'marts' "
                "and table_name = 'fct_order_lines'"
            ).fetchone()[0]  # type: ignore[index]
        )


def synthetic_serving_db(path: Path, orders: int) -> dict[str, int]:
    """Marts with the served tables' names and columns, generated inside DuckDB."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as conn:
        conn.execute(f"""
            create schema marts;
            create table marts.dim_products as
              select 'P' || i as product_id, 'Product ' || i as product_name,
                     'brand-' || (i % 40) as brand, 'dept-' || (i % 3) as department,
                     ['electronics', 'home', 'fashion', 'sports'][1 + i % 4] as category,
                     'sub-' || (i % 12) as subcategory, true as is_current
              from range(2000) t(i);
            create table marts.dim_customers as
              select 'C' || i as customer_id, ['new', 'regular', 'vip'][1 + i % 3] as segment,
                     ['CA', 'NY', 'TX', 'IL'][1 + i % 4] as region, 'US' as country,
                     true as is_current
              from range(200000) t(i);
            create table marts.fct_orders as
              select 'O' || i as order_id, 'C' || (hash(i) % 200000)::bigint as customer_id,
                     ['web', 'mobile', 'marketplace'][1 + i % 3] as channel, 'USD' as currency,
                     (10 + (hash(i * 5) % 50000)::bigint / 100)::decimal(18, 2) as order_total,
                     order_total as net_revenue,
                     ['CA', 'NY', 'TX', 'IL'][1 + (hash(i) % 4)::bigint] as shipping_region,
                     timestamp '2025-01-01' + to_seconds((hash(i * 7) % 31536000)::bigint) as ordered_at,
                     ordered_at::date as ordered_date,
                     ['placed', 'confirmed', 'paid', 'shipped', 'delivered', 'returned', 'cancelled'][1 + (hash(i * 3) % 7)::bigint] as order_status
              from range({orders}) t(i);
            create table marts.fct_order_lines as
              select o.order_id || '-' || l.line_number as order_line_id, o.order_id, l.line_number,
                     o.customer_id, 'P' || (hash(o.order_id || l.line_number) % 2000)::bigint as product_id,
                     o.channel, 'dept-' || l.line_number as department,
                     ['electronics', 'home', 'fashion', 'sports'][1 + l.line_number] as category,
                     'sub-' || l.line_number as subcategory, o.ordered_at, o.ordered_date,
                     1 + l.line_number % 3 as quantity, (o.order_total / 3)::decimal(18, 2) as unit_price,
                     0::decimal(18, 2) as discount, (o.order_total / 3)::decimal(18, 2) as line_total,
                     (o.order_total / 5)::decimal(18, 2) as cost_amount,
                     (o.order_total / 3 - o.order_total / 5)::decimal(18, 2) as margin_amount, o.currency
              from marts.fct_orders o, (select unnest([1, 2, 3]) as line_number) l;
            create table marts.fct_payments as
              select 'PAY' || order_id as payment_id, order_id, customer_id, order_total as amount,
                     currency, ['card', 'paypal', 'klarna'][1 + (hash(order_id) % 3)::bigint] as provider,
                     'wallet' as method, ordered_at + interval 1 minute as initiated_at,
                     ordered_date as payment_date,
                     (hash(order_id) % 20)::bigint <> 0 as is_successful,
                     case when is_successful then 'completed' else 'failed' end as payment_status
              from marts.fct_orders;
            create table marts.fct_daily_stock as
              select product_id, 'W' || w as warehouse_id, current_date - d::integer as stock_date,
                     (hash(product_id || w || d) % 100)::integer as closing_quantity_on_hand,
                     closing_quantity_on_hand - 1 as closing_quantity_available,
                     closing_quantity_on_hand = 0 as had_stockout
              from marts.dim_products, range(3) t(w), range(30) s(d);
        """)
        counts = {
            table: int(conn.execute(f"select count(*) from marts.{table}").fetchone()[0])  # type: ignore[index]
            for table in ("fct_orders", "fct_order_lines", "fct_payments", "dim_customers")
        }
    return counts


def synthetic_live_tables(lake_root: Path) -> int:
    """24 hours of per-minute live partials for 4 regions x 3 channels, plus sessions."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    rows: dict[str, list[Any]] = {f.name: [] for f in LIVE_MINUTE_METRICS.schema}
    for back in range(24 * 60):
        minute = now - timedelta(minutes=back)
        for region in ("CA", "NY", "TX", "IL"):
            for n, channel in enumerate(("web", "mobile", "marketplace")):
                values = {
                    "minute": minute, "region": region, "channel": channel,
                    "payment_provider": ("card", "paypal", "klarna")[n], "currency": "USD",
                    "session_id": f"S{back}-{region}-{channel}", "orders_placed": 3,
                    "revenue_amount": Decimal("123.45"), "payment_successes": 3,
                    "payment_failures": back % 2, "flushed_at": now,
                }  # fmt: skip
                for key, value in values.items():
                    rows[key].append(value)
    table = pa.Table.from_pydict(rows, schema=LIVE_MINUTE_METRICS.schema)
    write_deltalake(str(LIVE_MINUTE_METRICS.path(lake_root)), table, mode="overwrite")
    write_deltalake(
        str(DEAD_LETTERS.path(lake_root)),
        pa.Table.from_pylist([], schema=DEAD_LETTERS.schema),
        mode="overwrite",
    )
    return table.num_rows


def _start(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(SUPERSET), "up", "--port", str(port), "--workers", "2"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 600
    while b"\nready http" not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"Superset did not come up:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.5)
    return process


def _session(url: str, password: str) -> requests.Session:
    http = requests.Session()
    login = http.post(
        f"{url}/api/v1/security/login",
        json={"username": "admin", "password": password, "provider": "db"},
        timeout=60,
    )
    login.raise_for_status()
    http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    return http


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(url: str, password: str) -> dict[str, Any]:
    """p50/p95/max of uncached chart data requests, per dashboard."""
    http = _session(url, password)
    results: dict[str, Any] = {}
    for dashboard in http.get(f"{url}/api/v1/dashboard/", timeout=60).json()["result"]:
        charts = http.get(f"{url}/api/v1/dashboard/{dashboard['id']}/charts", timeout=60).json()
        timings: list[float] = []
        for _ in range(ROUNDS):
            for chart in charts["result"]:
                started = time.perf_counter()
                response = http.get(
                    f"{url}/api/v1/chart/{chart['id']}/data/?force=true", timeout=120
                )
                timings.append(time.perf_counter() - started)
                response.raise_for_status()
        results[dashboard["slug"]] = {
            "charts": len(charts["result"]),
            "requests": len(timings),
            "p50_seconds": round(statistics.median(timings), 3),
            "p95_seconds": round(_percentile(timings, 0.95), 3),
            "max_seconds": round(max(timings), 3),
        }
    return results


def run() -> dict[str, Any]:
    settings = get_settings()
    with tempfile.TemporaryDirectory(prefix="bench-superset-") as folder:
        home = Path(folder)
        if _has_marts(settings.duckdb_serving_path):
            serving, lake_root = settings.duckdb_serving_path, settings.lake_root
            data: dict[str, Any] = {"source": f"published serving database {serving}"}
        else:
            lake_root = home / "lake"
            serving = lake_root / "warehouse" / "serving.duckdb"
            print(
                f"generating a synthetic serving database ({SYNTHETIC_ORDERS:,} orders)...",
                flush=True,
            )
            data = {"source": "synthetic", "rows": synthetic_serving_db(serving, SYNTHETIC_ORDERS)}
            data["rows"]["live_minute_metrics"] = synthetic_live_tables(lake_root)
        password = secrets.token_urlsafe(16)
        env = {
            **os.environ,
            "ACME_ENVIRONMENT": "ci",
            "SUPERSET_SECRET_KEY": secrets.token_urlsafe(48),
            "SUPERSET_HOME": str(home / "superset"),
            "SUPERSET_CONFIG_PATH": str(REPO_ROOT / "superset_config.py"),
            "ACME_LAKE_ROOT": str(lake_root),
            "ACME_DUCKDB_SERVING_PATH": str(serving),
            **{f"SUPERSET_{user}_PASSWORD": password
               for user in ("ADMIN", "ANALYST", "VIEWER", "MANAGER_CA", "SVC_API")},
        }  # fmt: skip
        port = _free_port()
        print("starting Superset...", flush=True)
        process = _start(env, port, home / "superset.log")
        try:
            dashboards = measure(f"http://127.0.0.1:{port}", password)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
    return {"data": data, "rounds": ROUNDS, "dashboards": dashboards}
