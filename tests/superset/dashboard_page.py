"""What a person sees on a Superset dashboard page: wait for every chart, read errors and numbers."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

# Every chart holder shows a drawn chart, an empty state or an error; none is still loading.
ALL_CHARTS_SETTLED = """(expected) => {
  const holders = [...document.querySelectorAll('[data-test="dashboard-component-chart-holder"]')];
  if (holders.length < expected) return false;
  return holders.every(h =>
    !h.querySelector('[data-test="loading-indicator"]') &&
    (h.querySelector('[role="alert"], .ant-alert-error') ||
     h.querySelector('.chart-container canvas, .chart-container table, .chart-container .header-line,'
                     + ' .chart-container .ant-empty, .chart-container [class*="empty-state"]')));
}"""

CHART_STATES = """() => [...document.querySelectorAll('[data-test="dashboard-component-chart-holder"]')]
  .map(h => ({
    title: (h.querySelector('[data-test="editable-title"]') || {}).innerText || '',
    error: (h.querySelector('[role="alert"], .ant-alert-error') || {}).innerText || null,
    bigNumber: (h.querySelector('.header-line') || {}).innerText || null,
    tableRows: h.querySelectorAll('.chart-container table tbody tr').length,
  }))"""


def open_dashboard(page: Page, base_url: str, slug: str, chart_count: int) -> list[dict[str, Any]]:
    """Open a dashboard, wait until all `chart_count` charts settled; each chart's state."""
    page.goto(f"{base_url}/superset/dashboard/{slug}/?standalone=0")
    page.wait_for_function(ALL_CHARTS_SETTLED, arg=chart_count, timeout=90_000)
    states: list[dict[str, Any]] = page.evaluate(CHART_STATES)
    return states


def big_numbers(states: list[dict[str, Any]]) -> dict[str, str]:
    """Chart title -> the big number it shows."""
    return {s["title"]: s["bigNumber"] for s in states if s["bigNumber"] is not None}


def with_phone_layouts(*slugs: str) -> set[str]:
    """The slugs of these dashboards and of their phone layouts (`<slug>-phone`)."""
    return {f"{slug}{layout}" for slug in slugs for layout in ("", "-phone")}
