"""Build a dashboard's `position_json` and `json_metadata` from the compact bundle layout.

A bundle lays a dashboard out as rows of cells (`chart: <name>` or `markdown: <text>`, with a
width out of Superset's 12 grid columns and a height in grid units). IDs are derived from names so
the same bundle always yields the same JSON, which is what makes re-provisioning a no-op.
"""

from __future__ import annotations

import hashlib
from typing import Any


def _short_id(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:10]


def position_json(
    title: str, rows: list[list[dict[str, Any]]], charts: dict[str, tuple[int, str]]
) -> dict[str, Any]:
    """The dashboard grid: one ROW per bundle row, one CHART or MARKDOWN per cell.

    `charts` maps a chart name to its (id, uuid) on the server.
    """
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": title}},
    }
    for row_number, row in enumerate(rows):
        row_id = f"ROW-{_short_id(title, str(row_number))}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {
            "type": "ROW",
            "id": row_id,
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        for cell_number, cell in enumerate(row):
            parents = ["ROOT_ID", "GRID_ID", row_id]
            if "chart" in cell:
                chart_id, chart_uuid = charts[cell["chart"]]
                cell_id = f"CHART-{_short_id(title, cell['chart'])}"
                position[cell_id] = {
                    "type": "CHART",
                    "id": cell_id,
                    "children": [],
                    "parents": parents,
                    "meta": {
                        "chartId": chart_id,
                        "uuid": chart_uuid,
                        "sliceName": cell["chart"],
                        "width": cell.get("width", 4),
                        "height": cell.get("height", 50),
                    },
                }
            else:
                cell_id = f"MARKDOWN-{_short_id(title, str(row_number), str(cell_number))}"
                position[cell_id] = {
                    "type": "MARKDOWN",
                    "id": cell_id,
                    "children": [],
                    "parents": parents,
                    "meta": {
                        "code": cell["markdown"],
                        "width": cell.get("width", 12),
                        "height": cell.get("height", 10),
                    },
                }
            position[row_id]["children"].append(cell_id)
    return position


# The header's owner and "modified ... ago" line does not fit beside a title on a phone: it hid the
# title and, with a longer "ago", pushed the page wider than the screen.
PHONE_CSS = '[data-test="metadata-bar"] { display: none; }\n'


def phone_twin(spec: dict[str, Any]) -> dict[str, Any]:
    """The phone layout of a bundle dashboard: the same charts, filters, refresh and roles, with
    every cell on a row of its own across all 12 columns.

    Superset's grid never reflows (a chart is sized in JavaScript from its share of the 12
    columns), so a phone gets a dashboard of its own, `<slug>-phone`, derived here rather than
    written twice (docs/decisions/superset-dashboards.md).
    """
    return {
        **spec,
        "title": f"{spec['title']} (phone)",
        "slug": f"{spec['slug']}-phone",
        "rows": [[{**cell, "width": 12}] for row in spec["rows"] for cell in row],
        "css": PHONE_CSS,
    }


def native_filter(
    dashboard: str, spec: dict[str, Any], dataset_ids: dict[str, int]
) -> dict[str, Any]:
    """One native filter: a value selector on a dataset column, or a time range."""
    is_time = spec.get("type") == "time_range"
    return {
        "id": f"NATIVE_FILTER-{_short_id(dashboard, spec['name'])}",
        "name": spec["name"],
        "type": "NATIVE_FILTER",
        "filterType": "filter_time" if is_time else "filter_select",
        "targets": [{}]
        if is_time
        else [{"datasetId": dataset_ids[spec["dataset"]], "column": {"name": spec["column"]}}],
        "controlValues": {}
        if is_time
        else {
            "multiSelect": True,
            "enableEmptyFilter": False,
            "defaultToFirstItem": False,
            "inverseSelection": False,
            "searchAllOptions": False,
        },
        "defaultDataMask": {
            "extraFormData": {"time_range": spec["default"]}
            if is_time and spec.get("default")
            else {},
            "filterState": {"value": spec["default"]} if is_time and spec.get("default") else {},
            "ownState": {},
        },
        "cascadeParentIds": [],
        "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
        "description": spec.get("description", ""),
    }


def dashboard_metadata(
    spec: dict[str, Any], dataset_ids: dict[str, int], chart_ids: dict[str, int]
) -> dict[str, Any]:
    """The `json_metadata` keys the bundle manages (others Superset adds are left alone)."""
    return {
        "refresh_frequency": spec.get("refresh_seconds", 0),
        # Charts on the marts change only when a build is published: not worth a query every 5 s.
        "timed_refresh_immune_slices": sorted(
            chart_ids[name] for name in spec.get("refresh_immune", [])
        ),
        # Refresh every chart at once: Superset's default staggers them over several seconds,
        # which would stretch a 5-second refresh beyond the 10-second freshness target.
        "stagger_refresh": False,
        "color_scheme": spec.get("color_scheme", "supersetColors"),
        "cross_filters_enabled": True,
        # Filters above the charts rather than in a side panel that covers a phone's screen.
        "filter_bar_orientation": "HORIZONTAL",
        "native_filter_configuration": [
            native_filter(spec["title"], f, dataset_ids) for f in spec.get("filters", [])
        ],
    }
