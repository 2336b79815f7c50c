"""(5): the Superset asset bundle.

Static checks: it parses; 3 dashboards / 16 charts / 10 datasets / 1 database; each dataset names a view
the analytics migration creates (`CREATE [MATERIALIZED] VIEW` under migration/src/, the latest definition
wins) and only columns that view's statement mentions; each chart references an existing dataset; each dashboard's position
references existing charts, and every chart is on a dashboard.
Then the real thing: Superset 6.1 (its own venv, SQLite metadata) imports the bundle with the same
script the Kubernetes Job runs, and the result is counted in Superset's metadata.
"""

from __future__ import annotations

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
    assert titles == DASHBOARD_TITLES
    assert charts == 16
    assert len(datasets) == 10 and all(d.startswith("vw_") for d in datasets)
    assert links == 16, "every chart should be attached to its dashboard"
    assert len(uris) == 1 and "offline" not in uris[0], "Superset must store the password apart from the URI"
