"""Import the Bookstore asset bundle into Superset through Superset's own importers, overwriting what exists.

Runs in the superset-init Job (and in deploy/tests/test_superset_bundle.py and test_superset_live.py) with
the Python that has Superset installed (`python superset_import.py /bundle`). It reads the bundle files,
creates Superset's app and, as the admin user, runs Superset's v1 import commands with overwrite=True, so
Superset validates and writes its metadata itself; nothing here touches the metadata database directly.

Why not `superset import-dashboards`: its ImportDashboardsCommand imports the databases, datasets and charts a
dashboard uses with overwrite=False, so a changed chart or dataset, or a rotated password, never reaches a
Superset that already has them; only the dashboards are updated. Here each kind goes through its own command
with overwrite=True, in dependency order, all in one transaction (nothing is written unless everything
imports): ImportDatabasesCommand (the connection, with its password), ImportDatasetsCommand (columns and
metrics are synchronised), ImportChartsCommand, then ImportDashboardsCommand (dashboards and their chart
links). Objects are matched by uuid, so re-running it is idempotent. A bundle Superset rejects makes it exit 1.

The bundle arrives either as a directory tree (the repository's superset-bundle/) or flattened by a
ConfigMap, whose keys cannot hold "/": there each "__" in a key stands for a directory separator
(charts__total_revenue.yaml -> charts/total_revenue.yaml).

The committed database YAML carries Superset's own password mask (XXXXXXXXXX); the real password of the
read-only role is substituted from SUPERSET_RO_DB_PASSWORD in this process's memory only, never written to
disk.

Where Superset runs outside the cluster (a local run, the deploy tests), optional overrides point the
connection elsewhere; all are unset in the Job:
  SUPERSET_ANALYTICS_DB_HOSTPORT  host:port instead of the bundle's postgres-analytics.data.svc.cluster.local:5432
  SUPERSET_ANALYTICS_DB_NAME      database name instead of the bundle's `analytics`
  SUPERSET_ANALYTICS_DB_USER      read-only role instead of the bundle's `superset_ro`
SUPERSET_ADMIN_USERNAME (default admin) names the user the import runs as and who owns new objects.
"""

from __future__ import annotations

import logging
import os
import sys
import urllib.parse
from pathlib import Path

import yaml

MASK = "XXXXXXXXXX"
# Superset's import commands in dependency order: the metadata type each expects in metadata.yaml, and the
# bundle folders it reads (a command also imports what its objects depend on, without overwriting it).
STEPS = (
    ("Database", "ImportDatabasesCommand", ("databases/",)),
    ("SqlaTable", "ImportDatasetsCommand", ("databases/", "datasets/")),
    ("Slice", "ImportChartsCommand", ("databases/", "datasets/", "charts/")),
    ("Dashboard", "ImportDashboardsCommand", ("databases/", "datasets/", "charts/", "dashboards/")),
)

log = logging.getLogger("superset_import")


def bundle_files(source: Path) -> dict[str, str]:
    """Relative bundle path -> content, from a tree or a flattened ConfigMap mount."""
    files: dict[str, str] = {}
    for path in sorted(source.rglob("*")):
        # ConfigMap mounts contain ..data symlinks and timestamped dirs; only real YAML files count.
        if not path.is_file() or path.suffix != ".yaml" or any(p.startswith("..") for p in path.parts):
            continue
        rel = path.relative_to(source).as_posix().replace("__", "/")
        files[rel] = path.read_text()
    if "metadata.yaml" not in files:
        raise SystemExit(f"{source}: no metadata.yaml, not a Superset bundle")
    return files


def connection_uri(uri: str, password: str, env: dict[str, str]) -> str:
    """The bundle's masked sqlalchemy_uri with the real password and any local overrides."""
    parts = urllib.parse.urlsplit(uri)
    if parts.password != MASK:
        raise SystemExit(f"expected the masked password {MASK} in sqlalchemy_uri {uri}")
    user = env.get("SUPERSET_ANALYTICS_DB_USER") or urllib.parse.unquote(parts.username or "")
    hostport = env.get("SUPERSET_ANALYTICS_DB_HOSTPORT") or parts.netloc.rpartition("@")[2]
    dbname = env.get("SUPERSET_ANALYTICS_DB_NAME") or parts.path.lstrip("/")
    netloc = f"{urllib.parse.quote(user, safe='')}:{urllib.parse.quote(password, safe='')}@{hostport}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, "/" + dbname, parts.query, parts.fragment))


def with_connection(rel: str, text: str, password: str, env: dict[str, str]) -> str:
    """A database YAML with its sqlalchemy_uri completed (only that value changes)."""
    uri = yaml.safe_load(text).get("sqlalchemy_uri", "")
    if MASK not in uri:
        raise SystemExit(f"{rel}: expected the masked password {MASK} in sqlalchemy_uri")
    return text.replace(uri, connection_uri(uri, password, env))


def contents_for(files: dict[str, str], metadata_type: str, folders: tuple[str, ...]) -> dict[str, str]:
    """The files one import command reads, with metadata.yaml declaring the type that command checks."""
    metadata = yaml.safe_load(files["metadata.yaml"])
    metadata["type"] = metadata_type
    contents = {rel: text for rel, text in files.items() if rel.startswith(folders)}
    contents["metadata.yaml"] = yaml.safe_dump(metadata, sort_keys=False)
    return contents


def import_bundle(files: dict[str, str], username: str) -> int:
    """Run Superset's import commands with overwrite=True inside an app context, as `username`."""
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        # Superset's modules need the app to exist before they are imported.
        from superset import security_manager
        from superset.commands.chart.importers.v1 import ImportChartsCommand
        from superset.commands.dashboard.importers.v1 import ImportDashboardsCommand
        from superset.commands.database.importers.v1 import ImportDatabasesCommand
        from superset.commands.dataset.importers.v1 import ImportDatasetsCommand
        from superset.utils.core import override_user
        from superset.utils.decorators import transaction

        commands = {c.__name__: c for c in (ImportDatabasesCommand, ImportDatasetsCommand, ImportChartsCommand,
                                            ImportDashboardsCommand)}
        user = security_manager.find_user(username=username)
        if user is None:
            log.error("no Superset user %r (create it first: superset fab create-admin)", username)
            return 1

        # One unit of work: the commands' own @transaction() joins it, so a failure rolls back every step.
        @transaction()
        def run_all() -> None:
            for metadata_type, name, folders in STEPS:
                log.info("%s (overwrite=True)", name)
                commands[name](contents_for(files, metadata_type, folders), overwrite=True).run()

        with override_user(user):
            try:
                run_all()
            except Exception:  # Superset reports validation errors as exceptions of several kinds.
                log.exception("Superset rejected the bundle; nothing was imported")
                return 1
    return 0


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "/bundle")
    username = os.environ.get("SUPERSET_ADMIN_USERNAME", "admin")
    password = os.environ.get("SUPERSET_RO_DB_PASSWORD")
    if not password:
        print("SUPERSET_RO_DB_PASSWORD is not set", file=sys.stderr)
        return 2
    files = bundle_files(source)
    env = dict(os.environ)
    files = {rel: with_connection(rel, text, password, env) if rel.startswith("databases/") else text
             for rel, text in files.items()}
    print(f"importing {len(files)} files from {source} as {username}", flush=True)
    return import_bundle(files, username)


if __name__ == "__main__":
    sys.exit(main())
