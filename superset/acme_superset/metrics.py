"""Superset dataset metrics from the metrics layer's one definition per metric.

The definitions live in dbt (dbt_project/models/marts/_marts__metrics.yml); `acme warehouse
metrics` writes them to `superset/bundles/metrics.json`, which this module turns into SQL
aggregate expressions. A bundle dataset names the metrics it offers and how its rows relate to the
marts:

- `model: <mart>`: its columns are the mart's, under the same names. Any metric whose measure is
  on that mart applies; a metric on another mart applies when its measure is a sum or a distinct
  count (which do not depend on the grain, e.g. revenue's `gross_amount` on `fct_orders` as on
  `sales_order_lines`). A plain count of another mart's rows would count the wrong thing: refused.
- `rollup: true`: pre-aggregated rows (the live table) carrying one column per sum or count
  measure, named after the measure, and the raw key of distinct counts. Filtered metrics are
  refused: a rollup has no row to filter.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PORTABLE_AGGREGATIONS = {"sum", "count_distinct", "min", "max"}


class MetricError(ValueError):
    """A dataset asks for a metric it cannot compute; the message names both and why."""


def load_definitions(path: Path) -> dict[str, Any]:
    """The generated definitions (`metrics` and `columns`); a clear error when missing."""
    if not path.exists():
        raise MetricError(f"{path} is missing: run `acme warehouse metrics` to generate it")
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def _aggregate(agg: str, expression: str, where: str | None) -> str:
    condition = f" filter (where {where})" if where else ""
    if agg == "sum":
        return f"coalesce(sum({expression}){condition}, 0)"
    if agg == "count":
        return f"count({expression}){condition}"
    if agg == "count_distinct":
        return f"count(distinct {expression}){condition}"
    if agg in ("min", "max"):
        return f"{agg}({expression}){condition}"
    if agg == "average":
        return f"avg({expression}){condition}"
    raise MetricError(f"aggregation {agg!r} has no SQL form here")


def _simple(
    name: str, metrics: dict[str, Any], dataset: dict[str, Any], extra: str | None = None
) -> str:
    metric = metrics[name]
    measure = metric["measure"]
    filters = [f for f in (metric.get("filter"), extra) if f]
    where = (
        " and ".join(f"({f})" for f in filters) if len(filters) > 1 else next(iter(filters), None)
    )
    if dataset.get("rollup"):
        if where:
            raise MetricError(
                f"dataset {dataset['name']}: metric {name} is filtered ({where}); "
                "a pre-aggregated dataset cannot apply it"
            )
        if measure["agg"] in ("sum", "count"):
            return _aggregate("sum", measure["name"], None)
        if measure["agg"] == "count_distinct":
            return _aggregate("count_distinct", measure["expr"], None)
        raise MetricError(f"dataset {dataset['name']}: metric {name} cannot be rolled up")
    if measure["model"] != dataset.get("model") and measure["agg"] not in PORTABLE_AGGREGATIONS:
        raise MetricError(
            f"dataset {dataset['name']}: metric {name} counts rows of {measure['model']}, "
            f"not of {dataset.get('model')}; offer it on a dataset of {measure['model']}"
        )
    return _aggregate(measure["agg"], measure["expr"], where)


def expression(name: str, metrics: dict[str, Any], dataset: dict[str, Any]) -> str:
    """The SQL aggregate of metric `name` over the rows of `dataset` (a bundle dataset spec)."""
    if name not in metrics:
        raise MetricError(
            f"dataset {dataset['name']}: no metric {name!r} in the metrics layer; "
            "define it in dbt_project/models/marts/_marts__metrics.yml"
        )
    metric = metrics[name]
    if metric["type"] == "simple":
        return _simple(name, metrics, dataset)
    if metric["type"] == "ratio":
        numerator = _simple(
            metric["numerator"]["metric"], metrics, dataset, metric["numerator"]["filter"]
        )
        denominator = _simple(
            metric["denominator"]["metric"], metrics, dataset, metric["denominator"]["filter"]
        )
        return f"{numerator} / nullif({denominator}, 0)"
    raise MetricError(f"metric {name}: type {metric['type']!r} has no SQL form here")


def dataset_metrics(dataset: dict[str, Any], definitions: dict[str, Any]) -> list[dict[str, Any]]:
    """The Superset metrics of a bundle dataset: those its `metrics` names, from the metrics layer,
    and the `operational_metrics` (written in the bundle) of a dataset on no business mart (dead
    letters, freshness, the build's completeness), which no dbt metric defines. Each must have a
    label and a description."""
    metrics = definitions["metrics"]
    operational = dataset.get("operational_metrics", [])
    business_marts = {m["measure"]["model"] for m in metrics.values() if m["type"] == "simple"}
    if operational and (dataset.get("rollup") or dataset.get("model") in business_marts):
        raise MetricError(
            f"dataset {dataset['name']} reads a business mart: its metrics come from the metrics "
            "layer, not operational_metrics"
        )
    generated = list(operational)
    for name in dataset.get("metrics", []):
        sql = expression(name, metrics, dataset)
        metric = metrics[name]
        generated.append(
            {
                "name": name,
                "label": metric["label"],
                "description": metric["description"],
                "format": metric["format"],
                "expression": sql,
            }
        )
    for metric in generated:
        _require_label_and_description(
            dataset["name"], "metric", metric.get("name"), metric,
            "define it with both (operational_metrics in the bundle, the rest in dbt)",
        )  # fmt: skip
    return generated


def _require_label_and_description(dataset: str, kind: str, name: str, doc: Any, fix: str) -> None:
    if not isinstance(doc, dict) or not doc.get("label") or not doc.get("description"):
        raise MetricError(f"dataset {dataset}: {kind} {name} has no label or no description; {fix}")


def dataset_columns(dataset: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """Label and description of each column of a dataset: a mart's columns (`model`) from their
    dbt docs, the others (computed, renamed, or of a dataset on no mart) from the bundle's
    `columns`. A column is described in one place: one in both is refused, as is one without a
    label or a description."""
    name = dataset["name"]
    model = dataset.get("model")
    mart: dict[str, Any] = {}
    if model is not None:
        if model not in definitions["marts"]:
            raise MetricError(f"dataset {name}: no mart {model!r} in the dbt project")
        mart = definitions["marts"][model]["columns"]
    own: dict[str, Any] = dataset.get("columns") or {}
    twice = sorted(set(own) & set(mart))
    if twice:
        raise MetricError(
            f"dataset {name}: columns {twice} are described twice, in dbt (mart {model}) and in "
            "the bundle's `columns`; keep the dbt description and drop them from the bundle"
        )
    for column, doc in mart.items():
        _require_label_and_description(
            name, "column", column, doc, f"describe it in the dbt YAML of {model}"
        )
    for column, doc in own.items():
        _require_label_and_description(
            name, "column", column, doc, "give it `label` and `description` under `columns`"
        )
    return {
        column: {"label": doc["label"], "description": doc["description"]}
        for column, doc in {**mart, **own}.items()
    }
