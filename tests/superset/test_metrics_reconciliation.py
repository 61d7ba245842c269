"""The dashboards' numbers against the simulator's truth, read through Superset itself.

A simulated scenario goes the production way (simulate -> JSONL -> backfill into the raw table ->
`dbt build` -> publish), the live table is written by the ingester's own aggregator from the same
raw events, and a real Superset is provisioned from the committed bundles over them. Every big
number and grouped chart of the Sales & Revenue, Operations and Executive Live dashboards is then
fetched through the chart data API as the Viewer role would fetch it (the request a dashboard
sends: the chart's saved query, with its dashboard), and must equal the truth manifest to the
cent, and so must the metrics of the self-service datasets as an analyst charts them. Regional
managers (one per region, added to the bundles the way 90_security.yaml says) must together see
exactly the total.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import yaml
from deltalake import DeltaTable, write_deltalake

from acme.warehouse.dbt import build
from acme.warehouse.publish import publish
from ingest.live_metrics import OBSERVED_TYPES, LiveAggregator, StoredEvent
from ingest.tables import LIVE_MINUTE_METRICS, RAW_EVENTS
from simulator import SimulationConfig
from tests.dbt.dbt_lake import simulated_lake
from tests.superset.conftest import (
    SUPERSET_BIN,
    USERS,
    ApiSession,
    Inbox,
    SupersetServer,
    api_session,
    dataset_rows,
    running_superset,
)

pytestmark = [pytest.mark.superset, pytest.mark.slow]

BUNDLES = Path(__file__).resolve().parents[2] / "superset" / "bundles"
CENT = Decimal("0.01")


@dataclass
class Scenario:
    server: SupersetServer
    truth: dict[str, Any]
    managers: dict[str, str]  # region -> username of its regional manager


def write_live_table(lake_root: Path) -> None:
    """The live minute metrics of every raw event, aggregated by the ingester's own
    `LiveAggregator` in event-time order, as `acme ingest` writes them from Kafka."""
    raw = DeltaTable(str(RAW_EVENTS.path(lake_root))).to_pyarrow_table(
        columns=["event_id", "event_type", "event_time", "payload"]
    )
    raw = raw.sort_by([("event_time", "ascending"), ("event_id", "ascending")])
    aggregator = LiveAggregator()
    observed = raw.filter(pc.is_in(raw["event_type"], value_set=pa.array(sorted(OBSERVED_TYPES))))
    for row in observed.to_pylist():
        event = StoredEvent(
            row["event_id"], row["event_type"], row["event_time"], row["payload"].encode()
        )
        aggregator.observe(event, count=True)
    aggregator.observe_activity(raw)
    write_deltalake(
        str(LIVE_MINUTE_METRICS.path(lake_root)),
        aggregator.drain(datetime.now(UTC)),
        mode="overwrite",
    )


def regional_bundles(target: Path, regions: list[str]) -> dict[str, str]:
    """Copy the bundles into `target` with one regional manager per region besides California's
    (a role like "Regional manager", a user and a row-level security rule each, as
    90_security.yaml describes); return region -> username."""
    target.mkdir()
    managers = {"CA": "manager_ca"}
    for path in BUNDLES.iterdir():
        document = path.read_text()
        if path.suffix == ".yaml":
            content = yaml.safe_load(document) or {}
            if path.name == "90_security.yaml":
                template = next(r for r in content["roles"] if r["name"] == "Regional manager")
                rule = content["row_level_security"][0]
                for region in regions:
                    if region in managers:
                        continue
                    role, username = f"Regional manager {region}", f"manager_{region.lower()}"
                    managers[region] = username
                    content["roles"].append({**template, "name": role})
                    content["users"].append(
                        {
                            "username": username,
                            "email": f"{username}@acme.example",
                            "roles": [role],
                            "password": f"${{SUPERSET_{username.upper()}_PASSWORD}}",
                        }
                    )
                    content["row_level_security"].append(
                        {**rule, "name": f"{role} sees {region}", "roles": [role],
                         "clause": f"region = '{region}'"}
                    )  # fmt: skip
            for dashboard in content.get("dashboards", []):
                if "Regional manager" in dashboard.get("roles", []):
                    dashboard["roles"] += [f"Regional manager {r}" for r in regions if r != "CA"]
            document = yaml.safe_dump(content, sort_keys=False)
        (target / path.name).write_text(document)
    return managers


@pytest.fixture(scope="module")
def scenario(
    tmp_path_factory: pytest.TempPathFactory, report_inbox: tuple[Inbox, int]
) -> Iterator[Scenario]:
    if not (SUPERSET_BIN / "acme-superset").exists():
        pytest.fail("Superset's environment is missing: run `make superset-env` (make test does)")
    root = tmp_path_factory.mktemp("superset-truth")
    # Four days ending now, so the live dashboard's last 24 hours hold simulated orders. The shop
    # changes with the time of day the test starts; at this size every start hour checked had 5 to
    # 10 refunds and 10 to 26 cancellations (3 days of 4,000 customers once had none).
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    config = SimulationConfig(
        seed=20261204, customers=6_000, products=200, days=4, start_at=now - timedelta(days=4)
    )
    lake = simulated_lake(config, root)
    build(lake.settings, target_path=root / "dbt-target", capture=True)
    publish(lake.settings)
    write_live_table(lake.settings.lake_root)
    with duckdb.connect(str(lake.settings.duckdb_serving_path), read_only=True) as conn:
        regions = [
            r for (r,) in conn.execute(
                "select distinct shipping_region from marts.fct_orders order by 1"
            ).fetchall()
        ]  # fmt: skip
    managers = regional_bundles(root / "bundles", regions)
    users = tuple(sorted(set(USERS) | set(managers.values())))
    with running_superset(
        root / "superset",
        lake.settings.lake_root,
        lake.settings.duckdb_serving_path,
        report_inbox[1],
        users,
    ) as server:
        server.cli("provision", "--url", server.url, "--bundles", str(root / "bundles"))
        yield Scenario(server=server, truth=lake.truth, managers=managers)


class Dashboards:
    """Chart data as a dashboard fetches it for one user: POST /api/v1/chart/data with the
    chart's saved query and the dashboard it is on (Superset checks the user may see that).
    `saved_queries` (chart id -> saved query context) are read as the admin: a Viewer may not
    read chart definitions, only run them from the dashboards granted to it."""

    def __init__(self, api: ApiSession, saved_queries: dict[int, str]) -> None:
        self.api = api
        self.saved_queries = saved_queries
        self.dashboards = {
            d["dashboard_title"]: d["id"]
            for d in api.get_json("/api/v1/dashboard/?q=(page_size:100)")["result"]
        }

    def rows(
        self, dashboard: str, chart: str, window: tuple[str, datetime, datetime] | None = None
    ) -> list[dict[str, Any]]:
        """The chart's rows; `window` (column, start, end) narrows it to a closed time range, as
        the dashboard's Period filter does."""
        dashboard_id = self.dashboards[dashboard]
        charts = self.api.get_json(f"/api/v1/dashboard/{dashboard_id}/charts")["result"]
        saved = next(c for c in charts if c["slice_name"] == chart)
        chart_id = saved["id"]
        context = json.loads(self.saved_queries[chart_id])
        context["form_data"].update(slice_id=chart_id, dashboardId=dashboard_id)
        if window:
            column, start, end = window
            context["queries"][0].update(
                granularity=column,
                time_range=f"{start:%Y-%m-%dT%H:%M:%S} : {end:%Y-%m-%dT%H:%M:%S}",
            )
        response = self.api.call("POST", "/api/v1/chart/data", json=context)
        assert response.status_code == 200, f"{chart}: {response.status_code} {response.text[:500]}"
        data: list[dict[str, Any]] = response.json()["result"][0]["data"]
        return data

    def number(self, dashboard: str, chart: str, metric: str, **kwargs: Any) -> Any:
        (row,) = self.rows(dashboard, chart, **kwargs)
        return row[metric]


@pytest.fixture(scope="module")
def saved_queries(scenario: Scenario) -> dict[int, str]:
    admin = api_session(scenario.server, "admin")
    return {
        chart["id"]: admin.get_json(f"/api/v1/chart/{chart['id']}")["result"]["query_context"]
        for chart in admin.get_json("/api/v1/chart/?q=(page_size:100)")["result"]
    }


@pytest.fixture(scope="module")
def viewer(scenario: Scenario, saved_queries: dict[int, str]) -> Dashboards:
    return Dashboards(api_session(scenario.server, "viewer"), saved_queries)


def cents(value: Any) -> str:
    return f"{Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)}"


def day_of(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d")


def test_scenario_has_cancellations_refunds_and_several_days(scenario: Scenario) -> None:
    truth = scenario.truth
    assert truth["orders_placed"] >= 100
    assert truth["orders_cancelled"] >= 1
    assert truth["refunds"]["count"] >= 1
    assert len(truth["revenue_by_day"]) >= 2


def test_sales_and_revenue_equals_the_truth(viewer: Dashboards, scenario: Scenario) -> None:
    truth = scenario.truth
    board = "Sales & Revenue"
    assert cents(viewer.number(board, "Revenue", "revenue")) == truth["revenue"]
    by_day = {
        day_of(r["ordered_date"]): cents(r["revenue"])
        for r in viewer.rows(board, "Revenue by day")
        if r["revenue"]
    }
    assert by_day == truth["revenue_by_day"]
    by_month: defaultdict[str, Decimal] = defaultdict(Decimal)
    for day, amount in truth["revenue_by_day"].items():
        by_month[day[:7]] += Decimal(amount)
    monthly = viewer.rows(board, "Revenue by month vs. previous year")
    assert {
        day_of(r["ordered_date"])[:7]: cents(r["revenue"]) for r in monthly if r["revenue"]
    } == {month: cents(amount) for month, amount in by_month.items()}
    by_category: defaultdict[str, Decimal] = defaultdict(Decimal)
    for row in viewer.rows(board, "Revenue by category"):
        by_category[row["category"]] += Decimal(str(row["revenue"]))
    assert {k: cents(v) for k, v in by_category.items() if v} == truth["revenue_by_category"]
    by_channel = {
        (r["channel"] or "unknown"): cents(r["revenue"])
        for r in viewer.rows(board, "Revenue by channel")
    }
    assert by_channel == truth["revenue_by_channel"]
    by_region = viewer.rows(board, "Revenue by region")
    assert len(by_region) == len(scenario.managers)
    assert cents(sum(Decimal(str(r["revenue"])) for r in by_region)) == truth["revenue"]


def test_operations_equals_the_truth(viewer: Dashboards, scenario: Scenario) -> None:
    truth = scenario.truth
    board = "Operations"
    assert viewer.number(board, "Orders placed", "orders") == truth["orders_placed"]
    assert viewer.number(board, "Cancellations", "cancellations") == truth["orders_cancelled"]
    assert cents(viewer.number(board, "Refunds", "refunds")) == truth["refunds"]["amount"]
    # A ratio is a float in Superset: equal to the truth's well below a cent.
    average = Decimal(truth["revenue"]) / truth["orders_net"]
    shown = Decimal(str(viewer.number(board, "Average order value", "average_order_value")))
    assert abs(shown - average) < Decimal("0.000001")
    per_day: defaultdict[str, int] = defaultdict(int)
    for row in viewer.rows(board, "Orders per day"):
        per_day[day_of(row["ordered_date"])] += row["orders"]
    assert dict(per_day) == truth["orders_placed_by_day"]
    payments = viewer.rows(board, "Payments by provider and status")
    completed = sum(r["payment_attempts"] for r in payments if r["payment_status"] == "completed")
    failed = sum(r["payment_attempts"] for r in payments if r["payment_status"] == "failed")
    assert completed == truth["payments_completed"]
    assert failed == sum(truth["payment_failures_by_reason"].values())
    attempts = sum(r["payment_attempts"] for r in payments)
    rate = viewer.number(board, "Payment success rate", "payment_success_rate")
    assert rate == pytest.approx(completed / attempts, abs=1e-12)


def test_self_service_datasets_equal_the_truth(scenario: Scenario) -> None:
    """Charts an analyst builds on the self-service datasets (05_self_service.yaml), with their
    metrics-layer metrics, equal the truth: refunds by reason, shipments, stockouts, spend."""
    truth = scenario.truth
    analyst = api_session(scenario.server, "analyst")
    by_reason = {
        r["reason"]: {"count": r["refunds_issued"], "amount": cents(r["refund_amount"])}
        for r in dataset_rows(
            analyst, "fct_refunds", ["refunds_issued", "refund_amount"], ("reason",)
        )
    }
    assert by_reason == truth["refunds"]["by_reason"]
    (refunds,) = dataset_rows(analyst, "fct_refunds", ["refunds_issued", "refund_amount"])
    assert (refunds["refunds_issued"], cents(refunds["refund_amount"])) == (
        truth["refunds"]["count"],
        truth["refunds"]["amount"],
    )
    (shipments,) = dataset_rows(
        analyst, "fct_shipments", ["shipments_delivered", "shipments_delivered_late"]
    )
    assert (shipments["shipments_delivered"], shipments["shipments_delivered_late"]) == (
        truth["shipments_delivered"],
        truth["shipments_delivered_late"],
    )
    (stock,) = dataset_rows(analyst, "fct_daily_stock", ["stockout_days"])
    assert stock["stockout_days"] == truth["stockout_days"]
    spend = {
        r["channel"]: cents(r["marketing_spend"])
        for r in dataset_rows(analyst, "fct_marketing_spend", ["marketing_spend"], ("channel",))
    }
    assert spend == truth["marketing_spend_by_channel"]
    (carts,) = dataset_rows(analyst, "fct_carts", ["carts_abandoned"])
    assert carts["carts_abandoned"] == truth["carts_abandoned"]


def closed_window() -> tuple[datetime, datetime]:
    """Whole hours inside the live dashboard's last 24 hours and inside the simulated days."""
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return end - timedelta(hours=20), end


def test_executive_live_equals_the_marts_for_a_closed_window(
    viewer: Dashboards, scenario: Scenario
) -> None:
    start, end = closed_window()
    board = "Executive Live"
    live_value = viewer.number(
        board, "Order value (24 h)", "order_value_placed",
        window=("minute", start, end),
    )  # fmt: skip
    live_orders = viewer.number(board, "Orders (24 h)", "orders", window=("minute", start, end))
    pipeline = viewer.rows(board, "Order pipeline", window=("ordered_at", start, end))
    assert live_orders == sum(r["orders"] for r in pipeline)
    assert live_orders > 0
    with duckdb.connect(str(scenario.server.serving_path), read_only=True) as conn:
        row = conn.execute(
            "select sum(order_total) from marts.fct_orders where ordered_at >= ? and ordered_at < ?",
            [start.replace(tzinfo=None), end.replace(tzinfo=None)],
        ).fetchone()
    assert row is not None
    assert cents(live_value) == cents(row[0])
    by_region = viewer.rows(board, "Order value by region (24 h)")
    whole_day = viewer.number(board, "Order value (24 h)", "order_value_placed")
    assert cents(sum(Decimal(str(r["order_value_placed"])) for r in by_region)) == cents(whole_day)


def test_regional_managers_together_see_exactly_the_total(
    viewer: Dashboards, scenario: Scenario, saved_queries: dict[int, str]
) -> None:
    truth = scenario.truth
    revenue, live = Decimal(0), Decimal(0)
    days: defaultdict[str, Decimal] = defaultdict(Decimal)
    for region, username in sorted(scenario.managers.items()):
        manager = Dashboards(api_session(scenario.server, username), saved_queries)
        regional = manager.rows("Sales & Revenue", "Revenue by region")
        assert {r["region"] for r in regional} <= {region}, username
        revenue += Decimal(str(manager.number("Sales & Revenue", "Revenue", "revenue")))
        for row in manager.rows("Sales & Revenue", "Revenue by day"):
            days[day_of(row["ordered_date"])] += Decimal(str(row["revenue"]))
        live += Decimal(
            str(manager.number("Executive Live", "Order value (24 h)", "order_value_placed"))
        )
    assert cents(revenue) == truth["revenue"]
    assert {day: cents(amount) for day, amount in days.items() if amount} == truth["revenue_by_day"]
    assert cents(live) == cents(
        viewer.number("Executive Live", "Order value (24 h)", "order_value_placed")
    )


def test_window_is_inside_the_simulated_days(scenario: Scenario) -> None:
    start, _ = closed_window()
    assert date.fromisoformat(min(scenario.truth["revenue_by_day"])) <= start.date()
