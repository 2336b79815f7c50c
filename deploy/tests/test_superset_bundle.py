"""(5): the Superset asset bundle.

Static checks: it parses; 3 dashboards / 16 charts / 10 datasets / 1 database; each dataset names a view
the analytics migration creates (`CREATE [MATERIALIZED] VIEW` under migration/src/, the latest definition
wins) and only columns that view's statement mentions; each chart references an existing dataset; each dashboard's position
references existing charts, and every chart is on a dashboard; each chart carries the query context
Superset's data API runs (`GET /api/v1/chart/{id}/data/`), pointing at the chart's dataset and asking for the
metrics and columns its params name, exactly as superset_query_context.py derives it from the params.
Then the real thing: Superset 6.1 (its own venv, SQLite metadata) imports the bundle with the same
script the Kubernetes Job runs, and the result is counted in Superset's metadata.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import BASE, CACHE, REPO, by_kind

BUNDLE = BASE / "analytics" / "superset-bundle"
IMPORTER = BASE / "analytics" / "superset_import.py"
GENERATOR = BASE / "analytics" / "superset_query_context.py"
DASHBOARD_TITLES = {"Book Store Analytics", "Sales & Revenue Analytics", "Inventory Analytics"}


def load(kind: str) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted((BUNDLE / kind).rglob("*.yaml"))]


@pytest.fixture(scope="module")
def views() -> dict[str, str]:
    """View name -> its latest CREATE statement, from the analytics migration's SQL (files in migration order)."""
    sql_dir = REPO / "migration" / "src"
    found: dict[str, str] = {}
    for path in sorted(sql_dir.rglob("*")):
        if path.is_file() and path.suffix in {".sql", ".rs"}:
            for m in re.finditer(r"CREATE\s+(?:MATERIALIZED\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:public\.)?(\w+)(.*?);",
                                 path.read_text(), flags=re.I | re.S):
                found[m.group(1)] = m.group(2)
    if not found:
        pytest.fail(f"no `CREATE [MATERIALIZED] VIEW` found under {sql_dir}: the analytics migration has not "
                    "landed yet, so the datasets cannot be checked against it")
    return found


def test_bundle_counts():
    meta = yaml.safe_load((BUNDLE / "metadata.yaml").read_text())
    assert meta["type"] == "Dashboard" and meta["version"] == "1.0.0"
    assert len(load("databases")) == 1
    assert len(load("datasets")) == 10
    assert len(load("charts")) == 16
    dashboards = load("dashboards")
    assert len(dashboards) == 3
    assert {d["dashboard_title"] for d in dashboards} == DASHBOARD_TITLES


def test_uuids_are_unique():
    uuids = [o["uuid"] for kind in ("databases", "datasets", "charts", "dashboards") for o in load(kind)]
    assert len(uuids) == len(set(uuids))


def test_database_password_is_masked():
    (db,) = load("databases")
    assert ":XXXXXXXXXX@" in db["sqlalchemy_uri"], "commit only Superset's password mask, never a password"
    assert db["sqlalchemy_uri"].startswith("postgresql+psycopg2://superset_ro:")


def test_datasets_name_views_the_migration_creates(views):
    (db,) = load("databases")
    problems = []
    for ds in load("datasets"):
        name = ds["table_name"]
        if ds["database_uuid"] != db["uuid"]:
            problems.append(f"{name}: not on the bundle's database")
        if name not in views:
            problems.append(f"{name}: the analytics migration creates no such view "
                            f"(it creates {sorted(views)})")
            continue
        for col in ds["columns"]:
            if not re.search(rf"\b{re.escape(col['column_name'])}\b", views[name]):
                problems.append(f"{name}: column {col['column_name']} does not appear in the view's statement")
    assert not problems, "\n".join(problems)


def test_charts_reference_existing_datasets():
    datasets = {d["uuid"]: d for d in load("datasets")}
    problems = []
    for chart in load("charts"):
        ds = datasets.get(chart["dataset_uuid"])
        if ds is None:
            problems.append(f"chart {chart['slice_name']}: unknown dataset {chart['dataset_uuid']}")
            continue
        columns = {c["column_name"] for c in ds["columns"]}
        params = chart["params"]
        for key in ("x_axis",):
            if params.get(key) and params[key] not in columns:
                problems.append(f"chart {chart['slice_name']}: {key} {params[key]} not in {ds['table_name']}")
        for col in params.get("groupby", []) + params.get("all_columns", []):
            if col not in columns:
                problems.append(f"chart {chart['slice_name']}: column {col} not in {ds['table_name']}")
    assert not problems, "\n".join(problems)


def metric_label(metric: dict | str) -> str:
    return metric if isinstance(metric, str) else metric.get("label") or metric["sqlExpression"]


def column_label(column: dict | str) -> str:
    return column if isinstance(column, str) else column.get("label") or column["sqlExpression"]


def test_chart_query_contexts_agree_with_params():
    """Checked on its own terms, not against the generator: a wrong generator must fail here too."""
    datasets = {d["uuid"]: d for d in load("datasets")}
    problems = []
    for chart in load("charts"):
        name, params = chart["slice_name"], chart["params"]
        if not chart.get("query_context"):
            problems.append(f"{name}: no query_context (the chart data API answers 400 without one)")
            continue
        qc = json.loads(chart["query_context"])
        if qc.get("datasource") != {"id": chart["dataset_uuid"], "type": "table"}:
            problems.append(f"{name}: query_context datasource {qc.get('datasource')} is not its dataset "
                            f"{chart['dataset_uuid']}")
        if (qc.get("result_format"), qc.get("result_type"), qc.get("force")) != ("json", "full", False):
            problems.append(f"{name}: result_format/result_type/force are not json/full/false")
        form_data = {k: v for k, v in qc.get("form_data", {}).items()
                     if k not in ("force", "result_format", "result_type", "include_time")}
        if form_data != params:
            problems.append(f"{name}: query_context form_data differs from params")
        queries = qc.get("queries") or []
        if len(queries) != 1:
            problems.append(f"{name}: expected one query, found {len(queries)}")
            continue
        (query,) = queries
        metrics = params.get("metrics") or ([params["metric"]] if params.get("metric") else [])
        if query.get("metrics", []) != metrics:
            problems.append(f"{name}: query metrics {[metric_label(m) for m in query.get('metrics', [])]} "
                            f"!= params {[metric_label(m) for m in metrics]}")
        if params.get("query_mode") == "raw":
            columns = params["all_columns"]
        else:
            columns = ([params["x_axis"]] if params.get("x_axis") else []) + params.get("groupby", [])
        if [column_label(c) for c in query.get("columns", [])] != columns:
            problems.append(f"{name}: query columns {[column_label(c) for c in query.get('columns', [])]} "
                            f"!= params {columns}")
        known = {c["column_name"] for c in datasets[chart["dataset_uuid"]]["columns"]}
        unknown = [column_label(c) for c in query.get("columns", []) if column_label(c) not in known]
        if unknown:
            problems.append(f"{name}: query columns {unknown} are not columns of its dataset")
        if "row_limit" in params and query.get("row_limit") != params["row_limit"]:
            problems.append(f"{name}: row_limit {query.get('row_limit')} != params {params['row_limit']}")
        if params.get("order_by_cols") and query.get("orderby") != [json.loads(o) for o in params["order_by_cols"]]:
            problems.append(f"{name}: orderby {query.get('orderby')} != params order_by_cols")
    assert not problems, "\n".join(problems)


def test_chart_query_contexts_are_generated_from_params():
    """The committed query_context is what superset_query_context.py writes (rerun it after editing params)."""
    spec = importlib.util.spec_from_file_location("superset_query_context", GENERATOR)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    stale = [c["slice_name"] for c in load("charts") if c.get("query_context") != generator.encoded(c)]
    assert not stale, f"query_context out of date (run python {GENERATOR.relative_to(REPO)}): {stale}"


def test_dashboards_reference_existing_charts_and_every_chart_is_placed():
    charts = {c["uuid"]: c for c in load("charts")}
    placed = set()
    problems = []
    for dash in load("dashboards"):
        position = dash["position"]
        for node_id, node in position.items():
            if not isinstance(node, dict):
                continue
            for child in node.get("children", []):
                if child not in position:
                    problems.append(f"{dash['dashboard_title']}: {node_id} has unknown child {child}")
            if node.get("type") == "CHART":
                uuid = node["meta"].get("uuid")
                if uuid not in charts:
                    problems.append(f"{dash['dashboard_title']}: {node_id} references unknown chart {uuid}")
                else:
                    placed.add(uuid)
                    if node["meta"].get("sliceName") != charts[uuid]["slice_name"]:
                        problems.append(f"{dash['dashboard_title']}: {node_id} sliceName differs from the chart")
    unplaced = [charts[u]["slice_name"] for u in set(charts) - placed]
    if unplaced:
        problems.append(f"charts on no dashboard: {unplaced}")
    assert not problems, "\n".join(problems)


def test_configmap_carries_the_whole_bundle(objects):
    """The flattened ConfigMap keys ("__" for "/") map back onto exactly the bundle's files."""
    files = {p.relative_to(BUNDLE).as_posix() for p in BUNDLE.rglob("*.yaml")}
    assert not [f for f in files if "__" in f], "bundle file names must not contain '__' (the ConfigMap's separator)"
    (cm,) = [c for c in by_kind(objects, "ConfigMap") if c["metadata"]["name"].startswith("superset-bundle-")]
    assert {k.replace("__", "/") for k in cm["data"]} == files


def test_superset_imports_the_bundle(tmp_path: Path):
    venv = CACHE / "superset-venv"
    superset = venv / "bin" / "superset"
    if not superset.exists():
        pytest.fail(f"{superset} missing: run deploy/tests/install.sh")
    db = tmp_path / "superset.db"
    config = tmp_path / "superset_config.py"
    config.write_text(f'SECRET_KEY = "offline-test-only-{os.getpid()}-0123456789abcdef"\n'
                      f'SQLALCHEMY_DATABASE_URI = "sqlite:///{db}"\n')
    env = {**os.environ, "SUPERSET_CONFIG_PATH": str(config), "SUPERSET_HOME": str(tmp_path),
           "FLASK_APP": "superset", "SUPERSET_BIN": str(superset),
           "SUPERSET_RO_DB_PASSWORD": "offline/test:p@ss", "SUPERSET_ADMIN_USERNAME": "admin"}

    def run(*cmd: str) -> None:
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp_path, timeout=600)
        assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"

    # The same steps as the superset-init Job.
    run(str(superset), "db", "upgrade")
    run(str(superset), "fab", "create-admin", "--username", "admin", "--firstname", "a", "--lastname", "b",
        "--email", "admin@example.invalid", "--password", "offline-test")
    run(str(superset), "init")
    run(str(venv / "bin" / "python"), str(IMPORTER), str(BUNDLE))

    with sqlite3.connect(db) as conn:
        titles = {r[0] for r in conn.execute("SELECT dashboard_title FROM dashboards")}
        charts = conn.execute("SELECT count(*) FROM slices").fetchone()[0]
        datasets = {r[0] for r in conn.execute("SELECT table_name FROM tables")}
        links = conn.execute("SELECT count(*) FROM dashboard_slices").fetchone()[0]
        uris = [r[0] for r in conn.execute("SELECT sqlalchemy_uri FROM dbs")]
        contexts = conn.execute("SELECT slice_name, datasource_id, query_context FROM slices").fetchall()
    assert titles == DASHBOARD_TITLES
    assert charts == 16
    assert len(datasets) == 10 and all(d.startswith("vw_") for d in datasets)
    assert links == 16, "every chart should be attached to its dashboard"
    assert len(uris) == 1 and "offline" not in uris[0], "Superset must store the password apart from the URI"
    wrong = [name for name, ds_id, qc in contexts
             if not qc or json.loads(qc)["datasource"] != {"id": ds_id, "type": "table"}]
    assert not wrong, f"charts stored without a query context on their dataset's id: {wrong}"
