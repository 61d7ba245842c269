"""Derive a chart's saved `query_context` from its form data (`params`).

Superset's frontend builds the query itself when a dashboard renders, but the chart data API
(`GET /api/v1/chart/<id>/data/?format=csv|xlsx`), used by exports, reports and API clients, runs the
query context saved with the chart. Charts created through the API have none, so it is derived
here for the form-data keys our bundles use.
"""

from __future__ import annotations

from typing import Any


def _filters(params: dict[str, Any]) -> list[dict[str, Any]]:
    filters = []
    for adhoc in params.get("adhoc_filters", []):
        if adhoc.get("expressionType") == "SIMPLE":
            filters.append(
                {"col": adhoc["subject"], "op": adhoc["operator"], "val": adhoc.get("comparator")}
            )
    return filters


def _where(params: dict[str, Any]) -> str:
    clauses = [
        f"({adhoc['sqlExpression']})"
        for adhoc in params.get("adhoc_filters", [])
        if adhoc.get("expressionType") == "SQL" and adhoc.get("clause", "WHERE") == "WHERE"
    ]
    return " AND ".join(clauses)


def query_context(dataset_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """A query context equivalent to what the frontend would send for these form data."""
    metrics = list(params.get("metrics") or ([params["metric"]] if params.get("metric") else []))
    columns: list[Any] = []
    if params.get("x_axis"):
        columns.append(
            {
                "columnType": "BASE_AXIS",
                "sqlExpression": params["x_axis"],
                "label": params["x_axis"],
                "expressionType": "SQL",
                "timeGrain": params.get("time_grain_sqla"),
            }
        )
    columns.extend(params.get("groupby") or [])
    columns.extend(params.get("all_columns") or [])
    query: dict[str, Any] = {
        "columns": columns,
        "metrics": metrics,
        "filters": _filters(params),
        "extras": {"where": _where(params), "having": ""},
        "time_range": params.get("time_range", "No filter"),
        "row_limit": params.get("row_limit", 10_000),
        "orderby": [[metrics[0], False]] if metrics and not params.get("x_axis") else [],
        "order_desc": True,
        "annotation_layers": [],
        "url_params": {},
        "custom_params": {},
        "custom_form_data": {},
    }
    if params.get("x_axis"):
        query["orderby"] = []
    return {
        "datasource": {"id": dataset_id, "type": "table"},
        "force": False,
        "queries": [query],
        "form_data": params,
        "result_format": "json",
        "result_type": "full",
    }
