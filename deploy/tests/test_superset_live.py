"""The Superset bundle against a running Superset 6.1 and a real analytics database.

One Superset web server per module (metadata in a scratch PostgreSQL database), set up as the superset-init
Job does it (`db upgrade`, `fab create-admin`, `init`, then `superset_import.py` on the bundle laid out as its
ConfigMap mounts it). The analytics database comes from `bookstore migrate --service analytics` with a few
facts inserted (the triggers maintain the summaries behind the vw_* views), and Superset reads it through a
read-only role created as postgres-init-roles.sh creates `superset_ro`.

Checked through the HTTP API only (deploy/tests/superset_api.py):
  * every chart's data API (`GET /api/v1/chart/{id}/data/`, the saved query context) answers rows;
  * re-importing a changed bundle reaches a running Superset: a chart's title and a param, a dataset's
    description, and a rotated password of the read-only role (read back through Superset's model, since the
    API masks it and a PostgreSQL with trust authentication would accept the old one), after which every
    chart still answers rows.

Needs /var/cache/bookstore/superset-venv (deploy/tests/install.sh), the bookstore debug binary
(BOOKSTORE_BIN, default /var/cache/bookstore/target/debug/bookstore) and a PostgreSQL whose superuser URL is
BOOKSTORE_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
import yaml

import superset_api
from conftest import BASE, CACHE

BUNDLE = BASE / "analytics" / "superset-bundle"
IMPORTER = BASE / "analytics" / "superset_import.py"
VENV = CACHE / "superset-venv"
BOOKSTORE = Path(os.environ.get("BOOKSTORE_BIN", str(CACHE / "target" / "debug" / "bookstore")))
ADMIN_URL = os.environ.get("BOOKSTORE_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
ADMIN_PASSWORD = "live-test-admin"

# The chart, dataset and database the re-import test changes (uuids from the bundle).
CHART_UUID = "2d345dcb-e3d8-577a-ba13-abbf12c6af09"  # Total Revenue
DATASET_UUID = "15519a71-4b2a-5ddb-aad9-626174bd6a4a"  # vw_sales_over_time
DATABASE_UUID = "8487992e-06ec-56dc-a1ac-6e67189236b3"  # bookstore_analytics

# Prints "same" when the database connection (argv[1], a uuid) stores $EXPECTED_PASSWORD; reads only.
STORED_PASSWORD_CHECK = """
import os, sys, uuid
from superset.app import create_app
with create_app().app_context():
    from superset import db
    from superset.models.core import Database
    stored = db.session.query(Database).filter_by(uuid=uuid.UUID(sys.argv[1])).one().password
    print("same" if stored == os.environ["EXPECTED_PASSWORD"] else "different")
"""

FACTS = """
INSERT INTO dim_books (book_id, title, author, price, genre, isbn, published_year) VALUES
  ('00000000-0000-4000-8000-000000000001', 'Dune', 'Frank Herbert', 9.99, 'Science Fiction', '9780441013593', 1965),
  ('00000000-0000-4000-8000-000000000002', 'Emma', 'Jane Austen', 14.50, 'Classics', '9780141439587', 1815),
  ('00000000-0000-4000-8000-000000000003', 'Neuromancer', 'William Gibson', 24.00, 'Science Fiction',
   '9780441569595', 1984),
  ('00000000-0000-4000-8000-000000000004', 'The Hobbit', 'J. R. R. Tolkien', 35.00, 'Fantasy', '9780547928227', 1937),
  ('00000000-0000-4000-8000-000000000005', 'Persuasion', 'Jane Austen', 55.00, 'Classics', '9780141439686', 1817);
INSERT INTO fact_inventory (book_id, quantity, reserved, updated_at) VALUES
  ('00000000-0000-4000-8000-000000000001', 10, 2, now()),
  ('00000000-0000-4000-8000-000000000002', 3, 1, now()),
  ('00000000-0000-4000-8000-000000000003', 0, 0, now()),
  ('00000000-0000-4000-8000-000000000004', 50, 5, now()),
  ('00000000-0000-4000-8000-000000000005', 7, 7, now());
INSERT INTO fact_orders (order_id, user_id, total, status, created_at) VALUES
  ('10000000-0000-4000-8000-000000000001', 'alice', 34.49, 'PAID', '2026-01-10 10:00+00'),
  ('10000000-0000-4000-8000-000000000002', 'bob', 24.00, 'SHIPPED', '2026-01-11 12:00+00'),
  ('10000000-0000-4000-8000-000000000003', 'alice', 35.00, 'CANCELLED', '2026-01-11 13:00+00'),
  ('10000000-0000-4000-8000-000000000004', 'carol', 90.00, 'DELIVERED', '2026-01-12 09:00+00');
INSERT INTO fact_order_items (id, order_id, book_id, quantity, price_at_purchase) VALUES
  (gen_random_uuid(), '10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001', 2, 9.99),
  (gen_random_uuid(), '10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', 1, 14.50),
  (gen_random_uuid(), '10000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003', 1, 24.00),
  (gen_random_uuid(), '10000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000004', 1, 35.00),
  (gen_random_uuid(), '10000000-0000-4000-8000-000000000004', '00000000-0000-4000-8000-000000000004', 1, 35.00),
  (gen_random_uuid(), '10000000-0000-4000-8000-000000000004', '00000000-0000-4000-8000-000000000005', 1, 55.00);
"""

# postgres-init-roles.sh's READONLY_USER block, with the role that runs the migration as the owner.
READONLY_ROLE = """
CREATE ROLE :"ro_user" LOGIN PASSWORD :'ro_password';
GRANT CONNECT ON DATABASE :"db" TO :"ro_user";
GRANT USAGE ON SCHEMA public TO :"ro_user";
ALTER DEFAULT PRIVILEGES FOR ROLE :"app_user" IN SCHEMA public GRANT SELECT ON TABLES TO :"ro_user";
ALTER ROLE :"ro_user" SET default_transaction_read_only = on;
"""


def db_url(dbname: str, scheme: str | None = None) -> str:
    """ADMIN_URL with another database (and optionally another scheme)."""
    parts = urllib.parse.urlsplit(ADMIN_URL)
    return urllib.parse.urlunsplit((scheme or parts.scheme, parts.netloc, "/" + dbname, parts.query, ""))


def psql(dbname: str, sql: str, **variables: str) -> None:
    """Run SQL (from stdin, so psql variables are substituted) as the superuser; stops at the first error."""
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", db_url(dbname)]
    for name, value in variables.items():
        cmd += ["-v", f"{name}={value}"]
    result = subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"psql on {dbname} failed:\n{result.stderr}"


def flatten(source: Path, target: Path) -> Path:
    """Lay a bundle tree out as its ConfigMap mounts it ("__" for "/")."""
    target.mkdir(parents=True)
    for path in source.rglob("*.yaml"):
        (target / path.relative_to(source).as_posix().replace("/", "__")).write_bytes(path.read_bytes())
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_generator() -> ModuleType:
    """deploy/kustomize/base/analytics/superset_query_context.py as a module."""
    path = BASE / "analytics" / "superset_query_context.py"
    spec = importlib.util.spec_from_file_location("superset_query_context", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(env: dict[str, str], cwd: Path, *cmd: str, timeout: int = 600) -> str:
    """Run a command to completion; its stdout, or a failed assertion with its output."""
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    assert result.returncode == 0, \
        f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return result.stdout


def import_bundle(env: dict[str, str], cwd: Path, bundle_dir: Path, ro_password: str) -> None:
    """The import-bundle container of the superset-init Job: `python superset_import.py /bundle`."""
    run({**env, "SUPERSET_RO_DB_PASSWORD": ro_password}, cwd, str(VENV / "bin" / "python"), str(IMPORTER),
        str(bundle_dir))


@dataclass
class Stack:
    """The running Superset and what the tests need to change its inputs."""

    session: superset_api.Session
    env: dict[str, str]
    tmp: Path
    analytics_db: str
    ro_user: str
    ro_password: str

    def import_bundle(self, bundle_dir: Path, ro_password: str) -> None:
        import_bundle(self.env, self.tmp, bundle_dir, ro_password)

    def stored_password_is(self, password: str) -> bool:
        """Whether Superset's stored connection holds `password`, read back through Superset's own model.

        The API masks the password, and the test PostgreSQL trusts local connections, so a chart answering
        rows alone does not show which password Superset holds."""
        out = run({**self.env, "EXPECTED_PASSWORD": password}, self.tmp, str(VENV / "bin" / "python"), "-c",
                  STORED_PASSWORD_CHECK, DATABASE_UUID)
        return out.strip().endswith("same")


def stop(proc: subprocess.Popen) -> None:
    """End a process group this module started (SIGTERM, then SIGKILL)."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    superset = VENV / "bin" / "superset"
    if not superset.exists():
        pytest.fail(f"{superset} missing: run deploy/tests/install.sh")
    if not BOOKSTORE.exists():
        pytest.fail(f"{BOOKSTORE} missing: build it (cargo build -p api) or set BOOKSTORE_BIN")
    if shutil.which("psql") is None:
        pytest.fail("psql is required to prepare the scratch databases")

    tmp = tmp_path_factory.mktemp("superset-live")
    suffix = f"{os.getpid()}_{secrets.token_hex(3)}"
    dbs = {name: f"superset_live_{name}_{suffix}" for name in ("meta", "ecom", "inventory", "analytics")}
    ro_user = f"superset_ro_{suffix}"
    ro_password = "first/ro:p@ss " + secrets.token_hex(4)
    admin_user = urllib.parse.urlsplit(ADMIN_URL).username or "postgres"
    config = tmp / "superset_config.py"
    config.write_text(
        '"""Superset configuration of the live bundle test (generated, temporary)."""\n'
        f"SECRET_KEY = {secrets.token_urlsafe(32)!r}\n"
        f"SQLALCHEMY_DATABASE_URI = {db_url(dbs['meta'], 'postgresql+psycopg2')!r}\n"
    )
    # As in the official image, Superset's venv comes first on PATH.
    env = {**os.environ, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
           "SUPERSET_CONFIG_PATH": str(config), "SUPERSET_HOME": str(tmp), "SUPERSET_ADMIN_USERNAME": "admin",
           # The bundle names the in-cluster analytics database and role; here they are scratch ones.
           "SUPERSET_ANALYTICS_DB_HOSTPORT": urllib.parse.urlsplit(ADMIN_URL).netloc.rpartition("@")[2],
           "SUPERSET_ANALYTICS_DB_NAME": dbs["analytics"], "SUPERSET_ANALYTICS_DB_USER": ro_user}
    env.pop("SUPERSET_RO_DB_PASSWORD", None)
    started: list[subprocess.Popen] = []
    psql("postgres", "".join(f'CREATE DATABASE "{db}";\n' for db in dbs.values()))
    try:
        # Superset's metadata schema takes longest: migrate it while the analytics side is prepared.
        upgrade_log = tmp / "db-upgrade.log"
        with upgrade_log.open("w") as log:
            upgrade = subprocess.Popen([str(superset), "db", "upgrade"], env=env, cwd=tmp, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        started.append(upgrade)
        psql(dbs["analytics"], READONLY_ROLE, ro_user=ro_user, ro_password=ro_password, db=dbs["analytics"],
             app_user=admin_user)
        run({**os.environ, "RUST_LOG": "warn",
             **{f"{n.upper()}_DATABASE_URL": db_url(dbs[n]) for n in ("ecom", "inventory", "analytics")}},
            tmp, str(BOOKSTORE), "migrate", "--service", "analytics", timeout=300)
        psql(dbs["analytics"], FACTS)
        assert upgrade.wait(timeout=600) == 0, f"superset db upgrade failed:\n{upgrade_log.read_text()[-5000:]}"

        run(env, tmp, str(superset), "fab", "create-admin", "--username", "admin", "--firstname", "Superset",
            "--lastname", "Admin", "--email", "admin@example.invalid", "--password", ADMIN_PASSWORD)
        run(env, tmp, str(superset), "init")

        port = free_port()
        server_log = tmp / "server.log"
        with server_log.open("w") as log:
            started.append(subprocess.Popen(
                [str(superset), "run", "-h", "127.0.0.1", "-p", str(port), "--with-threads"],
                env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        # The first import runs while the web server starts.
        import_bundle(env, tmp, flatten(BUNDLE, tmp / "bundle"), ro_password)
        base_url = f"http://127.0.0.1:{port}"
        try:
            superset_api.wait_healthy(base_url)
        except TimeoutError as err:
            pytest.fail(f"{err}\n{server_log.read_text()[-5000:]}")
        yield Stack(session=superset_api.login(base_url, "admin", ADMIN_PASSWORD), env=env, tmp=tmp,
                    analytics_db=dbs["analytics"], ro_user=ro_user, ro_password=ro_password)
    finally:
        for proc in started:
            stop(proc)
        psql("postgres", "".join(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE);\n' for db in dbs.values())
             + f'DROP ROLE IF EXISTS "{ro_user}";\n')


def test_every_chart_answers_its_data_api_with_rows(stack: Stack):
    data = superset_api.chart_data(stack.session)
    assert len(data) == 16, f"expected the bundle's 16 charts, Superset has {sorted(data)}"
    bad = {name: answer for name, answer in data.items() if not (isinstance(answer, int) and answer >= 1)}
    assert not bad, "charts whose data API gave no rows:\n" + "\n".join(f"{k}: {v}" for k, v in bad.items())


def test_reimport_updates_charts_datasets_and_the_database_password(stack: Stack):
    charts = superset_api.charts(stack.session)
    chart_id = charts["Total Revenue"]
    before = superset_api.chart(stack.session, chart_id)
    assert json.loads(before["params"])["y_axis_format"] == "$,.2f"
    assert stack.stored_password_is(stack.ro_password), "the first import did not store the read-only password"

    # A changed copy of the bundle: a chart's title and one of its params, a dataset's description.
    tmp = stack.tmp / "changed"
    shutil.copytree(BUNDLE, tmp)
    chart_path = tmp / "charts" / "total_revenue.yaml"
    chart = yaml.safe_load(chart_path.read_text())
    assert chart["uuid"] == CHART_UUID
    chart["slice_name"] = "Revenue, all time"
    chart["params"]["y_axis_format"] = ",.0f"
    if chart.get("query_context"):
        chart["query_context"] = load_generator().encoded(chart)
    chart_path.write_text(yaml.safe_dump(chart, sort_keys=False))
    for dash_path in (tmp / "dashboards").glob("*.yaml"):
        dash_path.write_text(dash_path.read_text().replace("sliceName: Total Revenue\n",
                                                           "sliceName: Revenue, all time\n"))
    dataset_path = tmp / "datasets" / "bookstore_analytics" / "vw_sales_over_time.yaml"
    dataset = yaml.safe_load(dataset_path.read_text())
    assert dataset["uuid"] == DATASET_UUID
    description = f"Orders and revenue per UTC day ({secrets.token_hex(3)})"
    dataset["description"] = description
    dataset_path.write_text(yaml.safe_dump(dataset, sort_keys=False))

    # The read-only role's password is rotated; the new one is what the Job would now pass in.
    new_password = "second/ro:p@ss " + secrets.token_hex(4)
    psql("postgres", 'ALTER ROLE :"ro_user" PASSWORD :\'pw\';\n', ro_user=stack.ro_user, pw=new_password)

    stack.import_bundle(flatten(tmp, stack.tmp / "changed-configmap"), new_password)

    after = superset_api.chart(stack.session, CHART_UUID)
    params = json.loads(after["params"])
    problems = []
    if after["slice_name"] != "Revenue, all time":
        problems.append(f"chart title still {after['slice_name']!r}")
    if params.get("y_axis_format") != ",.0f":
        problems.append(f"chart param y_axis_format still {params.get('y_axis_format')!r}")
    stored = superset_api.dataset(stack.session, DATASET_UUID)
    if stored["description"] != description:
        problems.append(f"dataset description still {stored['description']!r}")
    if not stack.stored_password_is(new_password):
        problems.append("the database connection still stores the old password")
    data = superset_api.chart_data(stack.session)
    bad = {name: answer for name, answer in data.items() if not (isinstance(answer, int) and answer >= 1)}
    if bad:
        problems.append("after the password rotation, charts without rows:\n"
                        + "\n".join(f"  {k}: {str(v)[:300]}" for k, v in bad.items()))
    assert not problems, "\n".join(problems)
    db = superset_api.database(stack.session, "bookstore_analytics")
    assert stack.analytics_db in db["sqlalchemy_uri"] and new_password not in db["sqlalchemy_uri"]
