"""(1)+(2): the kind overlay renders, and every object is valid for its schema.

Built-in kinds: kubernetes-validate in strict mode (unknown fields are errors) for the Kubernetes version
kind runs. Istio and Gateway API kinds: the CRD schemas shipped by the kubernetes-models npm packages
(crd-validate/validate.mjs). Any other apiVersion/kind fails: nothing is left unvalidated.
"""

from __future__ import annotations

import json
import subprocess

import kubernetes_validate
import pytest

from conftest import BASE, CACHE, KUBERNETES_VERSION, ident, render

CRD_GROUPS = ("gateway.networking.k8s.io/", "security.istio.io/", "networking.istio.io/")


def test_overlay_renders(objects):
    assert len(objects) > 100, "suspiciously few objects rendered"
    kinds = {o["kind"] for o in objects}
    for needed in ("Namespace", "Deployment", "StatefulSet", "Job", "Service", "ConfigMap", "Secret",
                   "NetworkPolicy", "PeerAuthentication", "AuthorizationPolicy", "Gateway", "HTTPRoute"):
        assert needed in kinds, f"no {needed} rendered"


def test_base_renders_alone():
    assert render(BASE)


def test_builtin_objects_match_kubernetes_schema(objects):
    errors = []
    for obj in objects:
        if obj["apiVersion"].startswith(CRD_GROUPS):
            continue
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.utils.SchemaNotFoundError:
            errors.append(f"{ident(obj)}: no schema for {obj['apiVersion']} in Kubernetes {KUBERNETES_VERSION}")
        except kubernetes_validate.utils.ValidationError as e:
            path = "/".join(str(p) for p in e.path)
            errors.append(f"{ident(obj)}: {path}: {e.message}")
    assert not errors, "\n".join(errors)


def test_custom_resources_match_crd_schemas(objects):
    crs = [o for o in objects if o["apiVersion"].startswith(CRD_GROUPS)]
    assert crs, "no Istio or Gateway API objects rendered"
    node_dir = CACHE / "deploy-node"
    if not (node_dir / "node_modules").is_dir():
        pytest.fail(f"{node_dir}/node_modules missing: run deploy/tests/install.sh")
    script = (node_dir / "validate.mjs")
    script.write_text((BASE.parent.parent / "tests" / "crd-validate" / "validate.mjs").read_text())
    out = subprocess.run(["node", str(script)], input=json.dumps(crs), capture_output=True, text=True,
                         cwd=node_dir, check=True)
    results = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    assert len(results) == len(crs)
    failures = [f"{r['kind']} {r['name']}: {r['error']}" for r in results if not r["ok"]]
    assert not failures, "\n".join(failures)
