"""Every role opens every dashboard it may see in headless Chromium: all charts draw without
error, and the key numbers equal direct queries on the serving database and the live table; each
dashboard's phone layout (`<slug>-phone`) fills a 390 px screen with one full-width chart per row.
Desktop and phone screenshots go to test-artifacts/superset/<user>/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import duckdb
import pytest
from playwright.sync_api import Browser, Page

from acme.warehouse.duckdb_delta import connection_config
from tests.superset.conftest import ARTIFACTS, SupersetServer, api_session, log_in
from tests.superset.dashboard_page import big_numbers, open_dashboard, with_phone_layouts
from tests.superset.superset_sample_lake import append_live_order

pytestmark = pytest.mark.superset

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# Safari on an iPhone, as Playwright's device list gives it.
PHONE_USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/15.0 Mobile/15E148 Safari/604.1"
)
# Which dashboards each role is granted (bundles: dashboards[].roles); admin sees all.
DASHBOARDS = {
    "admin": ("executive-live", "sales-revenue", "operations", "data-quality"),
    "analyst": ("executive-live", "sales-revenue", "operations", "data-quality"),
    "viewer": ("executive-live", "sales-revenue", "operations", "data-quality"),
    "manager_ca": ("executive-live", "sales-revenue"),
}
CHART_COUNTS = {"executive-live": 9, "sales-revenue": 8, "operations": 8, "data-quality": 6}
REGION_OF = {"manager_ca": "CA"}
# Superset's dashboard padding and grid gutters take this much of the phone's width at most.
PHONE_MARGINS_PX = 48

# Every chart holder's width, and that of what it drew (canvas, table or big number).
CHART_WIDTHS = """() => [...document.querySelectorAll('[data-test="dashboard-component-chart-holder"]')]
  .map(h => {
    const drawn = h.querySelector('.chart-container canvas, .chart-container table,'
                                  + ' .chart-container .header-line');
    return {
      title: (h.querySelector('[data-test="editable-title"]') || {}).innerText || '',
      holder: h.getBoundingClientRect().width,
      drawn: drawn ? drawn.getBoundingClientRect().width : 0,
    };
  })"""


def query_one(server: SupersetServer, sql: str) -> object:
    """One value from a direct query on the serving database (read-only, delta loaded)."""
    with duckdb.connect(
        str(server.serving_path), read_only=True, config=connection_config()
    ) as conn:
        conn.execute("load delta")
        row = conn.execute(sql).fetchone()
    assert row is not None
    return row[0]


def expected_numbers(server: SupersetServer, slug: str, user: str) -> dict[str, str]:
    """The big numbers a user must see on a dashboard, computed from the data directly."""
    live = f"delta_scan('{server.lake_root / 'live' / 'minute_metrics'}')"
    region = REGION_OF.get(user)
    where = f"region = '{region}'" if region else "true"
    if slug == "executive-live":
        day = f"{where} and minute >= now() - interval 24 hour"
        hour = f"{where} and minute >= now() - interval 1 hour"
        value = query_one(
            server, f"select coalesce(sum(revenue_amount), 0) from {live} where {day}"
        )
        orders = query_one(
            server, f"select coalesce(sum(orders_placed), 0) from {live} where {day}"
        )
        rate = query_one(
            server,
            f"select sum(payment_successes) / nullif(sum(payment_successes) + sum(payment_failures), 0)"
            f" from {live} where {hour}",
        )
        return {
            "Order value (24 h)": f"{value:,.2f}",
            "Orders (24 h)": f"{orders:,}",
            "Payment success (1 h)": f"{rate:.1%}",
        }
    if slug == "sales-revenue":
        # The dashboard's region is the order's shipping region; revenue and margin count the
        # lines of orders not cancelled.
        lines = (
            "marts.fct_order_lines join marts.fct_orders using (order_id) "
            f"where not is_cancelled and {where.replace('region', 'shipping_region')}"
        )
        revenue = query_one(server, f"select sum(line_total) from {lines}")
        margin = query_one(server, f"select sum(margin_amount) from {lines}")
        return {"Revenue": f"{revenue:,.2f}", "Margin": f"{margin:,.2f}"}
    if slug == "operations":
        value = query_one(
            server, "select avg(order_total) from marts.fct_orders where not is_cancelled"
        )
        rate = query_one(server, "select avg(is_successful::integer) from marts.fct_payments")
        return {"Average order value": f"{value:,.2f}", "Payment success rate": f"{rate:.1%}"}
    dead = f"delta_scan('{server.lake_root / 'dead_letters' / 'events'}')"
    count = query_one(
        server, f"select count(*) from {dead} where received_at >= now() - interval 24 hour"
    )
    inferred = query_one(server, "select sum(inferred_members) from marts.dimension_completeness")
    return {"Dead letters (24 h)": f"{count:,}", "Inferred members": f"{inferred:,}"}


@pytest.fixture(scope="module", params=sorted(DASHBOARDS))
def logged_in(
    request: pytest.FixtureRequest, superset_server: SupersetServer, browser: Browser
) -> Iterator[tuple[str, Page]]:
    """A browser page logged in as one role (one login per role for the module)."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    log_in(page, superset_server, request.param)
    yield request.param, page
    context.close()


@pytest.mark.parametrize("slug", CHART_COUNTS)
def test_dashboard_renders_with_correct_numbers(
    logged_in: tuple[str, Page], slug: str, superset_server: SupersetServer
) -> None:
    user, page = logged_in
    if slug not in DASHBOARDS[user]:
        page.goto(f"{superset_server.url}/superset/dashboard/{slug}/")
        page.wait_for_load_state("networkidle")
        assert not page.locator('[data-test="dashboard-component-chart-holder"]').count()
        return
    page.set_viewport_size(DESKTOP)
    states = open_dashboard(page, superset_server.url, slug, CHART_COUNTS[slug])
    assert len(states) == CHART_COUNTS[slug]
    assert [s["title"] for s in states if s["error"]] == [], states
    shown = big_numbers(states)
    assert all(value.strip() for value in shown.values()), shown
    for title, value in expected_numbers(superset_server, slug, user).items():
        assert shown[title] == value, f"{user} sees {title} = {shown[title]}, the data say {value}"
    folder = ARTIFACTS / user
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{slug}-desktop.png"), full_page=True)


@pytest.mark.parametrize("slug", CHART_COUNTS)
def test_phone_layout_fills_a_phone_screen(
    logged_in: tuple[str, Page], slug: str, superset_server: SupersetServer
) -> None:
    """At 390 px the phone twin shows every chart at the screen's width, drawn at that width (not
    a desktop-sized chart cropped or squeezed), with the same numbers and no error."""
    user, page = logged_in
    page.set_viewport_size(PHONE)
    if slug not in DASHBOARDS[user]:
        page.goto(f"{superset_server.url}/superset/dashboard/{slug}-phone/")
        page.wait_for_load_state("networkidle")
        assert not page.locator('[data-test="dashboard-component-chart-holder"]').count()
        return
    states = open_dashboard(page, superset_server.url, f"{slug}-phone", CHART_COUNTS[slug])
    assert [s["title"] for s in states if s["error"]] == [], states
    shown = big_numbers(states)
    for title, value in expected_numbers(superset_server, slug, user).items():
        assert shown[title] == value, f"{user} sees {title} = {shown[title]}, the data say {value}"
    viewport = page.evaluate("() => document.documentElement.clientWidth")
    assert viewport == PHONE["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport, (
        "the page scrolls sideways on a phone"
    )
    widths = page.evaluate(CHART_WIDTHS)
    assert len(widths) == CHART_COUNTS[slug]
    too_narrow = [w for w in widths if w["holder"] < viewport - PHONE_MARGINS_PX]
    assert too_narrow == [], f"charts narrower than the phone allows: {too_narrow}"
    # Big numbers are text as wide as their digits; canvases and tables must span the chart.
    squeezed = [
        w for w in widths if w["title"] not in shown and w["drawn"] < 0.9 * w["holder"] - 32
    ]
    assert squeezed == [], f"charts not drawn at the phone's width: {squeezed}"
    folder = ARTIFACTS / user
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{slug}-phone.png"), full_page=True)


def test_a_phone_opening_a_dashboard_gets_its_phone_layout(
    superset_server: SupersetServer, browser: Browser
) -> None:
    """A phone browser asking for the desktop dashboard lands on its phone twin, with the query
    string kept; `?layout=desktop` and desktop browsers keep the desktop layout."""
    dashboard = f"{superset_server.url}/superset/dashboard"
    phone = browser.new_context(viewport=PHONE, user_agent=PHONE_USER_AGENT, is_mobile=True)
    page = phone.new_page()
    log_in(page, superset_server, "viewer")
    page.goto(f"{dashboard}/sales-revenue/?native_filters_key=none")
    assert page.url == f"{dashboard}/sales-revenue-phone/?native_filters_key=none"
    page.goto(f"{dashboard}/sales-revenue/?layout=desktop")
    assert page.url == f"{dashboard}/sales-revenue/?layout=desktop"
    phone.close()
    desktop = browser.new_context(viewport=DESKTOP)
    page = desktop.new_page()
    log_in(page, superset_server, "viewer")
    page.goto(f"{dashboard}/sales-revenue/")
    assert page.url == f"{dashboard}/sales-revenue/"
    desktop.close()


def test_region_manager_is_limited_to_region(superset_server: SupersetServer) -> None:
    """Row-level security changes the numbers: California's revenue is strictly below the total."""
    total = query_one(superset_server, "select sum(order_total) from marts.fct_orders")
    california = query_one(
        superset_server,
        "select sum(order_total) from marts.fct_orders where shipping_region = 'CA'",
    )
    assert isinstance(total, Decimal)
    assert isinstance(california, Decimal)
    assert 0 < california < total
    api = api_session(superset_server, "manager_ca")
    slugs = {d["slug"] for d in api.get_json("/api/v1/dashboard/?q=(page_size:100)")["result"]}
    assert slugs == with_phone_layouts(*DASHBOARDS["manager_ca"])


def test_executive_live_refreshes_and_shows_a_new_order_within_10_seconds(
    superset_server: SupersetServer, browser: Browser
) -> None:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    log_in(page, superset_server, "viewer")
    refreshes: list[float] = []
    page.on(
        "response",
        lambda response: (
            refreshes.append(time.monotonic()) if "/api/v1/chart/data" in response.url else None
        ),
    )
    states = open_dashboard(page, superset_server.url, "executive-live", 9)
    before = Decimal(big_numbers(states)["Order value (24 h)"].replace(",", ""))
    loaded_requests = len(refreshes)
    added = Decimal("1234.56")
    append_live_order(superset_server.lake_root, "CA", added)
    written_at = time.monotonic()
    revenue = page.locator(
        '[data-test="dashboard-component-chart-holder"]:has-text("Order value (24 h)") .header-line'
    )
    expected = f"{before + added:,.2f}"
    deadline = written_at + 10
    while time.monotonic() < deadline and revenue.inner_text() != expected:
        page.wait_for_timeout(200)
    shown, seconds = revenue.inner_text(), time.monotonic() - written_at
    context.close()
    assert shown == expected, (
        f"revenue shows {shown} {seconds:.1f} s after the order, not {expected}"
    )
    assert seconds <= 10
    assert len(refreshes) > loaded_requests, "the dashboard never refreshed by itself"
