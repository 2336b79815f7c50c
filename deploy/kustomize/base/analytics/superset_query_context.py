"""Write each bundle chart's `query_context` from its `params`, as Superset 6.1's frontend builds it.

`GET /api/v1/chart/{id}/data/` (alerts, reports, cache warm-up, the deploy tests) runs the query context that
was saved with a chart and answers 400 "Chart has no query context saved" for a chart without one. Superset's
Explore view saves one on every save; the bundle's charts are written by hand, so this script derives theirs
from `params` with the rules of the frontend's `buildQuery` for the viz types the bundle uses
(Superset 6.1: `buildQueryObject`, `extractQueryFields`, `processFilters`, `normalizeOrderBy`,
`normalizeTimeColumn`, the pivot/sort/flatten post-processing of the ECharts timeseries charts, the raw
mode of the table chart). A chart whose params use a feature not modelled here (time comparison, rolling
windows, percent metrics, server pagination, ...) is refused rather than given a query that differs from
what Superset would save.

`datasource` names the chart's dataset by uuid (Superset accepts a uuid as datasource id); the importer
(`ImportChartsCommand` / `ImportDashboardsCommand`) replaces it with the dataset's id in the target Superset,
as it does for `params.datasource`.

Usage: python superset_query_context.py [--check] [BUNDLE_DIR]
Without --check it rewrites the `query_context:` line of every chart YAML under BUNDLE_DIR/charts (default:
the superset-bundle/ beside this file); with --check it changes nothing and exits 1 when a chart's
query_context differs from what its params give. Needs PyYAML.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

BUNDLE = Path(__file__).resolve().parent / "superset-bundle"
TIMESERIES = {"echarts_timeseries_bar", "echarts_timeseries_line"}
SUPPORTED = TIMESERIES | {"pie", "big_number_total", "table"}
# Params that change the query in ways this module does not reproduce.
UNSUPPORTED_PARAMS = (
    "extra_form_data", "extra_filters", "time_compare", "comparison_type", "rolling_type", "resample_method",
    "resample_rule", "contributionMode", "forecastEnabled", "percent_metrics", "show_totals",
    "timeseries_limit_metric", "series_limit_metric", "series_limit", "limit", "legacy_order_by",
    "granularity", "granularity_sqla", "where", "having",
)
QUERY_CONTEXT_LINE = re.compile(r"^query_context:.*$", re.M)


def metric_label(metric: Any) -> str:
    """getMetricLabel: a saved metric's name, an adhoc metric's label or its expression."""
    if isinstance(metric, str):
        return metric
    if metric.get("label"):
        return metric["label"]
    if metric.get("expressionType") == "SIMPLE":
        column = metric["column"]
        return f"{metric['aggregate']}({column.get('columnName') or column.get('column_name')})"
    return metric["sqlExpression"]


def column_label(column: Any) -> str:
    """getColumnLabel: a physical column's name or an adhoc column's label."""
    if isinstance(column, str):
        return column
    return column.get("label") or column["sqlExpression"]


def as_list(value: Any) -> list:
    """ensureIsArray."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def dedupe(items: list, key: Any) -> list:
    seen: set[str] = set()
    out = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def query_fields(form_data: dict) -> tuple[list, list | None, list | None]:
    """extractQueryFields: columns, metrics and orderby gathered from every form-data key, in key order."""
    aliases = {"metric": "metrics", "metric_2": "metrics", "secondary_metric": "metrics", "x": "metrics",
               "y": "metrics", "size": "metrics", "all_columns": "columns", "series": "groupby",
               "order_by_cols": "orderby"}
    mode = form_data.get("query_mode")
    columns: list = []
    metrics: list = []
    orderby: list = []
    for key, value in form_data.items():
        if key == "query_mode" or value is None:
            continue
        name = aliases.get(key, key)
        if mode == "aggregate" and name == "columns":
            continue
        if mode == "raw" and name in ("groupby", "metrics"):
            continue
        if name == "groupby":
            name = "columns"
        if name == "metrics":
            metrics += as_list(value)
        elif name == "columns":
            columns += as_list(value)
        elif name == "orderby":
            orderby += as_list(value)
    return (
        dedupe([c for c in columns if c != ""], column_label),
        None if mode == "raw" else dedupe(metrics, metric_label),
        [json.loads(o) if isinstance(o, str) else o for o in orderby] or None,
    )


def filters_and_extras(form_data: dict) -> tuple[list, dict]:
    """extractExtras + processFilters: simple WHERE filters, freeform WHERE/HAVING in `extras`."""
    extras: dict[str, Any] = {}
    if form_data.get("time_grain_sqla"):
        extras["time_grain_sqla"] = form_data["time_grain_sqla"]
    filters: list[dict] = []
    where: list[str] = []
    having: list[str] = []
    for f in form_data.get("adhoc_filters") or []:
        if f.get("expressionType") == "SIMPLE":
            if f.get("clause") == "WHERE":
                clause = {"col": f["subject"], "op": f["operator"]}
                if f["operator"] not in ("IS NULL", "IS NOT NULL"):
                    clause["val"] = f.get("comparator")
                filters.append(clause)
        elif f.get("clause") == "WHERE":
            where.append(f["sqlExpression"])
        else:
            having.append(f["sqlExpression"])

    def wrap(sql: str) -> str:
        return f"({sql}\n)" if "--" in sql else f"({sql})"

    extras["having"] = " AND ".join(wrap(s) for s in having)
    extras["where"] = " AND ".join(wrap(s) for s in where)
    return filters, extras


def base_query(form_data: dict) -> dict:
    """buildQueryObject for form data without dashboard filters (extra_form_data) or time range.

    Keys keep the frontend's order; None stands for a value the frontend leaves undefined (JSON.stringify
    drops those, and so does `defined`)."""
    columns, metrics, orderby = query_fields(form_data)
    filters, extras = filters_and_extras(form_data)
    row_limit = form_data.get("row_limit")
    return {
        "filters": filters,
        "extras": extras,
        "applied_time_extras": {},
        "columns": columns,
        "metrics": metrics,
        "orderby": orderby,
        "annotation_layers": form_data.get("annotation_layers") or [],
        "row_limit": None if row_limit is None else int(row_limit),
        "series_columns": form_data.get("series_columns"),
        "series_limit": 0,
        "group_others_when_limit_reached": bool(form_data.get("group_others_when_limit_reached", False)),
        "order_desc": form_data.get("order_desc", True),
        "url_params": form_data.get("url_params") or {},
        "custom_params": form_data.get("custom_params") or {},
        "custom_form_data": {},
    }


def defined(query: dict) -> dict:
    """The query object without its undefined (None) keys, as the frontend serialises it."""
    return {k: v for k, v in query.items() if v is not None}


def normalized_orderby(query: dict) -> list | None:
    """normalizeOrderBy: a valid explicit orderby, else the first metric in the order_desc direction."""
    orderby = query.get("orderby")
    if orderby and isinstance(orderby[0], list) and len(orderby[0]) == 2 and orderby[0][0] \
            and isinstance(orderby[0][1], bool):
        return orderby
    if query.get("metrics"):
        return [[query["metrics"][0], not query.get("order_desc", True)]]
    return None


def timeseries_queries(form_data: dict, base: dict) -> list[dict]:
    """The ECharts timeseries buildQuery (bar and line share it) with an x-axis and no comparison."""
    x_axis = form_data.get("x_axis")
    if not isinstance(x_axis, str) or not x_axis:
        raise ValueError("timeseries charts here need a physical x_axis column")
    groupby = form_data.get("groupby")
    labels = [metric_label(m) for m in base.get("metrics") or []]
    post_processing: list[dict] = []
    if labels:
        post_processing.append({"operation": "pivot", "options": {
            "index": [x_axis],
            "columns": [column_label(c) for c in as_list(base["series_columns"] if base["series_columns"] is not None else base["columns"])],
            "aggregates": {label: {"operator": "mean"} for label in labels},
            "drop_missing_columns": not form_data.get("show_empty_columns"),
        }})
    sort_by, ascending = form_data.get("x_axis_sort"), form_data.get("x_axis_sort_asc")
    if sort_by is not None and ascending is not None and not groupby \
            and sort_by in [x_axis] + [metric_label(m) for m in as_list(form_data.get("metrics"))]:
        options = {"is_sort_index": True, "ascending": ascending} if sort_by == x_axis \
            else {"by": sort_by, "ascending": ascending}
        post_processing.append({"operation": "sort", "options": options})
    post_processing.append({"operation": "flatten"})
    query = {**base, "columns": [x_axis] + as_list(groupby), "series_columns": groupby,
             "orderby": normalized_orderby(base), "time_offsets": [], "post_processing": post_processing}
    # normalizeTimeColumn: the x-axis becomes the base axis column (with the time grain, if any).
    axis: dict[str, Any] = {}
    if "time_grain_sqla" in base["extras"]:
        axis["timeGrain"] = base["extras"]["time_grain_sqla"]
    axis.update({"columnType": "BASE_AXIS", "sqlExpression": x_axis, "label": x_axis,
                 "expressionType": "SQL", "isColumnReference": True})
    query["columns"] = [axis if c == x_axis else c for c in query["columns"]]
    return [query]


def table_queries(form_data: dict, base: dict) -> list[dict]:
    """The table chart's buildQuery in raw-records mode, without pagination or search."""
    if form_data.get("query_mode") != "raw" or form_data.get("server_pagination"):
        raise ValueError("only raw-mode tables without server pagination are modelled")
    return [{**base, "orderby": base["orderby"] or [], "post_processing": [], "time_offsets": []}]


def query_context(chart: dict) -> dict:
    """The query context Superset 6.1's Explore saves for this chart (`buildV1ChartDataPayload`)."""
    params = chart["params"]
    viz = chart["viz_type"]
    if viz not in SUPPORTED or params.get("viz_type") != viz:
        raise ValueError(f"{chart['slice_name']}: viz_type {viz} is not modelled (supported: {sorted(SUPPORTED)})")
    unsupported = [k for k in UNSUPPORTED_PARAMS if params.get(k) not in (None, [], {}, "", False)]
    if unsupported:
        raise ValueError(f"{chart['slice_name']}: params {unsupported} are not modelled")
    form_data = {**params, "force": False, "result_format": "json", "result_type": "full"}
    if viz == "table" and form_data.get("query_mode") == "raw":
        form_data["include_time"] = False
    base = base_query(form_data)
    if viz in TIMESERIES:
        queries = timeseries_queries(form_data, base)
    elif viz == "pie":
        queries = [{**base, "orderby": [[params["metric"], False]]} if params.get("sort_by_metric") else base]
    elif viz == "table":
        queries = table_queries(form_data, base)
    else:
        queries = [base]
    return {
        "datasource": {"id": chart["dataset_uuid"], "type": "table"},
        "force": False,
        "queries": [defined(q) for q in queries],
        "form_data": form_data,
        "result_format": "json",
        "result_type": "full",
    }


def encoded(chart: dict) -> str:
    """The query context as the JSON string a chart YAML stores."""
    return json.dumps(query_context(chart), ensure_ascii=False, separators=(",", ":"))


def yaml_line(value: str) -> str:
    """`query_context: '<json>'` (a single-quoted YAML scalar on one line)."""
    return "query_context: '" + value.replace("'", "''") + "'"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    bundle = Path(args[0]) if args else BUNDLE
    stale = []
    for path in sorted((bundle / "charts").glob("*.yaml")):
        text = path.read_text()
        chart = yaml.safe_load(text)
        wanted = encoded(chart)
        if chart.get("query_context") == wanted:
            continue
        stale.append(path.name)
        if not check:
            if len(QUERY_CONTEXT_LINE.findall(text)) != 1:
                raise SystemExit(f"{path}: expected one top-level `query_context:` line")
            path.write_text(QUERY_CONTEXT_LINE.sub(lambda _: yaml_line(wanted), text))
    if check and stale:
        print(f"query_context out of date in: {', '.join(stale)} (run {Path(__file__).name})", file=sys.stderr)
        return 1
    if not check:
        print(f"rewrote {len(stale)} chart(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
