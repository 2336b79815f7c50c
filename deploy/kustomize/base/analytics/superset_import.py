"""Import the Bookstore asset bundle into Superset through Superset's own importer.

Runs in the superset-import Job (and, offline, in deploy/tests/test_superset_bundle.py). It builds the ZIP
that `superset import-dashboards` expects from the bundle files, then runs that command, so Superset
validates and writes its metadata itself; nothing here touches the metadata database.

The bundle arrives either as a directory tree (the repository's superset-bundle/) or flattened by a
ConfigMap, whose keys cannot hold "/": there each "__" in a key stands for a directory separator
(charts__total_revenue.yaml -> charts/total_revenue.yaml).

The committed database YAML carries Superset's own password mask (XXXXXXXXXX); the real password of the
read-only role is substituted from SUPERSET_RO_DB_PASSWORD into the ZIP only, never written to disk
outside this process's temporary directory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import urllib.parse
import zipfile
from pathlib import Path

MASK = "XXXXXXXXXX"
BUNDLE_ROOT = "bookstore_analytics"


def bundle_files(source: Path) -> dict[str, bytes]:
    """Relative bundle path -> content, from a tree or a flattened ConfigMap mount."""
    files: dict[str, bytes] = {}
    for path in sorted(source.rglob("*")):
        # ConfigMap mounts contain ..data symlinks and timestamped dirs; only real YAML files count.
        if not path.is_file() or path.suffix != ".yaml" or any(p.startswith("..") for p in path.parts):
            continue
        rel = path.relative_to(source).as_posix().replace("__", "/")
        files[rel] = path.read_bytes()
    if "metadata.yaml" not in files:
        raise SystemExit(f"{source}: no metadata.yaml, not a Superset bundle")
    return files


def build_zip(files: dict[str, bytes], password: str, target: Path) -> None:
    quoted = urllib.parse.quote(password, safe="").encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
        for rel, content in files.items():
            if rel.startswith("databases/"):
                if MASK.encode() not in content:
                    raise SystemExit(f"{rel}: expected the masked password {MASK} in sqlalchemy_uri")
                content = content.replace(MASK.encode(), quoted)
            bundle.writestr(f"{BUNDLE_ROOT}/{rel}", content)


def main() -> int:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "/bundle")
    username = os.environ.get("SUPERSET_ADMIN_USERNAME", "admin")
    password = os.environ.get("SUPERSET_RO_DB_PASSWORD")
    if not password:
        print("SUPERSET_RO_DB_PASSWORD is not set", file=sys.stderr)
        return 2
    superset = os.environ.get("SUPERSET_BIN", "superset")
    files = bundle_files(source)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "bookstore_analytics.zip"
        build_zip(files, password, target)
        print(f"importing {len(files)} files from {source} as {username}", flush=True)
        # import-dashboards exits 1 and logs the traceback when Superset rejects the bundle.
        return subprocess.call([superset, "import-dashboards", "-p", str(target), "-u", username])


if __name__ == "__main__":
    sys.exit(main())
