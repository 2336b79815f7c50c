"""Shared fixtures: the rendered kind overlay and the repository's paths."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

TESTS = Path(__file__).resolve().parent
DEPLOY = TESTS.parent
REPO = DEPLOY.parent
OVERLAY = DEPLOY / "kustomize" / "overlays" / "kind"
BASE = DEPLOY / "kustomize" / "base"
CACHE = Path(os.environ.get("BOOKSTORE_CACHE", "/var/cache/bookstore"))
# The Kubernetes version of kindest/node in deploy/kind-cluster.yaml.
KUBERNETES_VERSION = "1.34.0"

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"}


def render(path: Path) -> list[dict]:
    out = subprocess.run(["kubectl", "kustomize", str(path)], check=True, capture_output=True, text=True)
    return [d for d in yaml.safe_load_all(out.stdout) if d]


@pytest.fixture(scope="session")
def objects() -> list[dict]:
    return render(OVERLAY)


def pod_spec(obj: dict) -> dict | None:
    kind = obj["kind"]
    if kind == "Pod":
        return obj["spec"]
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if kind in WORKLOAD_KINDS:
        return obj["spec"]["template"]["spec"]
    return None


def ident(obj: dict) -> str:
    meta = obj.get("metadata", {})
    return f"{obj['kind']} {meta.get('namespace', '-')}/{meta.get('name')}"


def by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]
