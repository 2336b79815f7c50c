"""(3): policy over the rendered objects and the repository.

Fails if any container lacks the security invariants, any namespace lacks a default-deny NetworkPolicy
or the ambient label or mTLS STRICT, any image is unpinned, any Ingress exists, or any secret value is
committed.
"""

from __future__ import annotations

import base64
import re
import subprocess

from conftest import DEPLOY, REPO, by_kind, ident, pod_spec

VERSION_TAG = re.compile(r"^v?\d+(\.\d+)*([.-][0-9A-Za-z.]+)?$")
SECRET_KEY = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$")


def containers(spec: dict):
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(field) or []:
            yield field, c


def test_every_container_is_locked_down(objects):
    problems = []
    for obj in objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        pod_sc = spec.get("securityContext") or {}
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(flag):
                problems.append(f"{ident(obj)}: {flag} is set")
        for field, c in containers(spec):
            where = f"{ident(obj)} {field}/{c['name']}"
            sc = c.get("securityContext") or {}
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation must be false")
            if sc.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: readOnlyRootFilesystem must be true")
            if sc.get("privileged"):
                problems.append(f"{where}: privileged")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                problems.append(f"{where}: capabilities.drop must contain ALL")
            if (sc.get("capabilities") or {}).get("add"):
                problems.append(f"{where}: adds capabilities")
            if not sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")):
                problems.append(f"{where}: runAsNonRoot must be true (container or pod)")
            uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
            if uid == 0:
                problems.append(f"{where}: runAsUser 0")
            seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
            if seccomp != "RuntimeDefault":
                problems.append(f"{where}: seccompProfile must be RuntimeDefault (container or pod)")
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                for r in ("cpu", "memory"):
                    if r not in (res.get(part) or {}):
                        problems.append(f"{where}: resources.{part}.{r} missing")
    assert not problems, "\n".join(problems)


def test_every_image_is_pinned(objects):
    problems = []
    for obj in objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        for field, c in containers(spec):
            image = c["image"]
            if "@sha256:" in image:
                continue
            name, _, tag = image.rpartition(":")
            if not name or "/" in tag:
                problems.append(f"{ident(obj)} {c['name']}: image {image} has no tag")
            elif tag == "latest" or not VERSION_TAG.match(tag):
                problems.append(f"{ident(obj)} {c['name']}: image {image} is not pinned to a version")
    assert not problems, "\n".join(problems)


def test_no_ingress_objects(objects):
    ingresses = [ident(o) for o in objects if o["kind"] == "Ingress"]
    assert not ingresses, f"use Gateway API HTTPRoutes instead of Ingress: {ingresses}"


def test_every_namespace_is_ambient_strict_and_default_deny(objects):
    namespaces = {o["metadata"]["name"]: o for o in by_kind(objects, "Namespace")}
    assert set(namespaces) == {"shop", "data", "identity", "analytics", "observability"}
    used = {o["metadata"].get("namespace") for o in objects} - {None}
    assert used <= set(namespaces), f"objects in namespaces this deployment does not create: {used - set(namespaces)}"
    problems = []
    for name, ns in namespaces.items():
        if ns["metadata"].get("labels", {}).get("istio.io/dataplane-mode") != "ambient":
            problems.append(f"namespace {name}: not labelled istio.io/dataplane-mode=ambient")
        deny = [p for p in by_kind(objects, "NetworkPolicy")
                if p["metadata"]["namespace"] == name and p["spec"].get("podSelector") in ({}, None)
                and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
                and not p["spec"].get("ingress") and not p["spec"].get("egress")]
        if not deny:
            problems.append(f"namespace {name}: no default-deny NetworkPolicy (empty podSelector, Ingress+Egress, no rules)")
        strict = [p for p in by_kind(objects, "PeerAuthentication")
                  if p["metadata"]["namespace"] == name and "selector" not in p["spec"]
                  and p["spec"].get("mtls", {}).get("mode") == "STRICT"]
        if not strict:
            problems.append(f"namespace {name}: no namespace-wide PeerAuthentication STRICT")
    assert not problems, "\n".join(problems)


def test_every_workload_has_its_own_service_account(objects):
    accounts = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in by_kind(objects, "ServiceAccount")}
    problems = []
    for obj in objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        sa = spec.get("serviceAccountName")
        if not sa or sa == "default":
            problems.append(f"{ident(obj)}: runs as the default ServiceAccount (AuthorizationPolicies match on identity)")
        elif (obj["metadata"]["namespace"], sa) not in accounts:
            problems.append(f"{ident(obj)}: ServiceAccount {sa} is not rendered")
    assert not problems, "\n".join(problems)


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True)
    return [f for f in out.stdout.split("\0") if f]


def test_no_real_secret_file_is_tracked():
    bad = [f for f in tracked_files()
           if re.search(r"(^|/)secrets/[^/]+\.env$", f) and not f.endswith(".example.env")]
    assert not bad, f"real secret files are committed: {bad}"


def test_example_secret_files_hold_no_values():
    examples = sorted((DEPLOY / "kustomize" / "base" / "secrets").glob("*.example.env"))
    assert examples
    problems = []
    for path in examples:
        for line in path.read_text().splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, _, value = line.partition("=")
            if SECRET_KEY.search(key) and value != "CHANGE_ME":
                problems.append(f"{path.name}: {key} has a value; examples must say CHANGE_ME")
    assert not problems, "\n".join(problems)


def test_no_rendered_secret_value_is_committed(objects):
    """Every secret value the render produced (from the git-ignored files) is absent from tracked files."""
    values = set()
    for secret in by_kind(objects, "Secret"):
        for key, raw in (secret.get("data") or {}).items():
            if SECRET_KEY.search(key):
                values.add(base64.b64decode(raw).decode())
        for key, value in (secret.get("stringData") or {}).items():
            if SECRET_KEY.search(key):
                values.add(value)
    assert values, "no secret values rendered"
    leaked = []
    for value in values:
        assert len(value) >= 12, "a generated secret is too short to be one"
        found = subprocess.run(["git", "grep", "-l", "-F", "-e", value], cwd=REPO, capture_output=True, text=True)
        if found.returncode == 0:
            leaked.append(found.stdout.strip())
    assert not leaked, f"secret values appear in tracked files: {leaked}"


def test_no_plain_secret_in_configmaps_or_env(objects):
    """Passwords reach containers only through secretKeyRef, never as literal env values or ConfigMap data."""
    problems = []
    for obj in objects:
        if obj["kind"] == "ConfigMap":
            for key, value in (obj.get("data") or {}).items():
                if SECRET_KEY.search(key):
                    problems.append(f"{ident(obj)}: key {key} looks like a secret")
        spec = pod_spec(obj)
        if spec is None:
            continue
        for _, c in containers(spec):
            for env in c.get("env") or []:
                if SECRET_KEY.search(env["name"]) and "value" in env:
                    problems.append(f"{ident(obj)} {c['name']}: {env['name']} has a literal value")
    assert not problems, "\n".join(problems)
