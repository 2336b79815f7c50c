"""What the local cluster takes from `deploy/`: every setting of the distributed form comes from the Kubernetes
manifests and files the cluster itself uses, and only addresses (and where files live) are replaced.

The manifests name in-cluster addresses (`postgres-ecom.data.svc.cluster.local:5432`, the Keycloak issuer seen by
browsers, …); `ADDRESSES` maps each to its local equivalent, and `LOCAL_ONLY` lists the few values that must differ
for another reason, each with the reason. `deploy/tests/test_local_cluster.py` fails when the deploy gains an
in-cluster address this map does not cover, or when a local override no longer names a deploy setting: that is how
the two stay in step.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / "deploy" / "kustomize" / "base"
SECRETS_DIR = BASE / "secrets"


@dataclass(frozen=True)
class Ports:
    """Every local port, from one base (`BOOKSTORE_CLUSTER_PORT_BASE`, default 19000) so several clusters fit."""

    base: int

    gateway = property(lambda self: self.base + 80)
    superset_gateway = property(lambda self: self.base + 88)
    issuer = property(lambda self: self.base + 90)
    kafka = property(lambda self: self.base + 92)
    superset = property(lambda self: self.base + 188)
    redis = property(lambda self: self.base + 379)

    def api(self, replica: int) -> int:
        return self.base + 100 + replica

    def materializer(self, replica: int) -> int:
        return self.base + 110 + replica

    def postgres(self, database: str) -> int:
        return self.base + 432 + ["ecom", "inventory", "analytics"].index(database)


def load_documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def workload(path: Path, kind: str, name: str) -> dict:
    """One Deployment/StatefulSet of a manifest file."""
    found = [d for d in load_documents(path) if d.get("kind") == kind and d["metadata"]["name"] == name]
    if len(found) != 1:
        raise SystemExit(f"{path}: expected one {kind} {name}, found {len(found)}")
    return found[0]


def container(path: Path, kind: str, name: str, container_name: str, init: bool = False) -> dict:
    spec = workload(path, kind, name)["spec"]["template"]["spec"]
    for c in spec.get("initContainers" if init else "containers", []):
        if c["name"] == container_name:
            return c
    raise SystemExit(f"{path}: {kind} {name} has no container {container_name}")


def replicas(path: Path, kind: str, name: str) -> int:
    return int(workload(path, kind, name)["spec"].get("replicas", 1))


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def load_secrets(state: Path) -> dict[str, str]:
    """Every key of the deploy's `secrets/*.example.env`, with a password generated on first use and kept (mode
    0600) in the state folder, as `deploy/scripts/up` does for a real cluster."""
    path = state / "secrets.env"
    values = read_env_file(path) if path.exists() else {}
    wanted = {}
    for example in sorted(SECRETS_DIR.glob("*.example.env")):
        for key in read_env_file(example):
            wanted[key] = values.get(key) or secrets.token_urlsafe(24)
    if wanted != values:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text("".join(f"{k}={v}\n" for k, v in sorted(wanted.items())))
    return wanted


def addresses(ports: Ports) -> dict[str, str]:
    """In-cluster address -> local address. Longest first when applied, so a URL wins over its host."""
    return {
        "postgres-ecom.data.svc.cluster.local:5432": f"127.0.0.1:{ports.postgres('ecom')}",
        "postgres-inventory.data.svc.cluster.local:5432": f"127.0.0.1:{ports.postgres('inventory')}",
        "postgres-analytics.data.svc.cluster.local:5432": f"127.0.0.1:{ports.postgres('analytics')}",
        "redis.data.svc.cluster.local:6379": f"127.0.0.1:{ports.redis}",
        "kafka-0.kafka.data.svc.cluster.local:9092": f"127.0.0.1:{ports.kafka}",
        # Identity: the cluster's Keycloak realm, as browsers see it and as the API fetches its keys. Here the
        # identity service is `bookstore issuer` behind the gateway at /auth (Keycloak cannot run on this
        # machine); the settings that name it are the same ones.
        "http://keycloak.identity.svc.cluster.local:8080/realms/bookstore/protocol/openid-connect/certs":
            f"http://127.0.0.1:{ports.issuer}/auth/jwks",
        "http://localhost:30081/realms/bookstore": f"http://127.0.0.1:{ports.gateway}/auth",
    }


CLUSTER_ADDRESS = re.compile(r"[a-z0-9.-]+\.svc\.cluster\.local(:\d+)?|localhost:300\d\d")


def localize(value: str, ports: Ports) -> str:
    for remote, local in sorted(addresses(ports).items(), key=lambda kv: -len(kv[0])):
        value = value.replace(remote, local)
    leftover = CLUSTER_ADDRESS.search(value)
    if leftover:
        raise SystemExit(f"no local address for {leftover.group(0)} (in {value!r}): add it to deploy/local/settings.py")
    return value


def container_env(c: dict, secret_values: dict[str, str]) -> dict[str, str]:
    """A container's environment as Kubernetes would build it: `envFrom` ConfigMaps (bookstore-config), then `env`
    with `$(VAR)` references and Secret keys."""
    env: dict[str, str] = {}
    for ref in c.get("envFrom", []):
        name = ref.get("configMapRef", {}).get("name")
        if name == "bookstore-config":
            env.update(read_env_file(BASE / "shop" / "bookstore-config.env"))
        else:
            raise SystemExit(f"envFrom {ref}: only the bookstore-config ConfigMap is known here")
    for item in c.get("env", []):
        if "value" in item:
            env[item["name"]] = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env[m.group(1)], str(item["value"]))
        elif "secretKeyRef" in item.get("valueFrom", {}):
            env[item["name"]] = secret_values[item["valueFrom"]["secretKeyRef"]["key"]]
        # fieldRef and the like describe the pod, not a setting.
    return env


@dataclass
class Postgres:
    """One PostgreSQL server of deploy/ (StatefulSet postgres-<database>)."""

    database: str
    args: list[str]
    env: dict[str, str]


def postgres(database: str, secret_values: dict[str, str]) -> Postgres:
    path = BASE / "data" / f"postgres-{database}.yaml"
    c = container(path, "StatefulSet", f"postgres-{database}", "postgres")
    return Postgres(database, [str(a) for a in c.get("args", [])], container_env(c, secret_values))


def redis_args(password: str) -> list[str]:
    """redis-server's arguments from the Redis Deployment's command line (without the password's quoting)."""
    c = container(BASE / "data" / "redis.yaml", "Deployment", "redis", "redis")
    line = " ".join(c["args"]).replace('"$REDIS_PASSWORD"', shlex.quote(password))
    words = shlex.split(line)
    if words[:2] != ["exec", "redis-server"]:
        raise SystemExit("deploy/.../redis.yaml: expected `exec redis-server ...`")
    return words[2:]


def kafka_topics() -> list[tuple[str, int, list[str]]]:
    """(topic, partitions, configs) from the topic Job's list."""
    rows = []
    for line in (BASE / "data" / "kafka-topics.txt").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            topic, partitions, *rest = line.split()
            rows.append((topic, int(partitions), rest[0].split(",") if rest else []))
    return rows


@dataclass
class Debezium:
    """One Debezium Server of deploy/: its properties file and the environment its StatefulSet gives it."""

    source: str
    properties: Path
    env: dict[str, str]
    overrides: dict[str, str] = field(default_factory=dict)


# Debezium Server settings that must differ here, and why. Nothing else of the properties files is changed.
DEBEZIUM_LOCAL_ONLY = {
    # The server runs on this machine, at the local port of its database.
    "debezium.source.database.hostname": "127.0.0.1",
    "debezium.source.database.port": None,  # filled with the local port
    # The StatefulSet's volume is a folder of the local cluster.
    "debezium.source.offset.storage.file.filename": None,  # filled with the state path
}


def debezium(source: str, secret_values: dict[str, str], ports: Ports, state: Path) -> Debezium:
    path = BASE / "data" / f"debezium-{source}.yaml"
    c = container(path, "StatefulSet", f"debezium-{source}", "debezium")
    env = {k: localize(v, ports) for k, v in container_env(c, secret_values).items()}
    overrides = dict(DEBEZIUM_LOCAL_ONLY)
    overrides["debezium.source.database.port"] = str(ports.postgres(source))
    overrides["debezium.source.offset.storage.file.filename"] = str(state / "debezium" / source / "offsets.dat")
    return Debezium(source, BASE / "data" / f"debezium-{source}.properties", env, overrides)


def bookstore_env(workload_file: str, kind: str, name: str, container_name: str, secret_values: dict[str, str],
                  ports: Ports, init: bool = False) -> dict[str, str]:
    """A bookstore container's environment with local addresses."""
    c = container(BASE / "shop" / workload_file, kind, name, container_name, init=init)
    return {k: localize(v, ports) for k, v in container_env(c, secret_values).items()}


def bookstore_args(workload_file: str, kind: str, name: str, container_name: str, init: bool = False) -> list[str]:
    return [str(a) for a in container(BASE / "shop" / workload_file, kind, name, container_name, init=init)["args"]]


def migrate_containers() -> list[str]:
    """The API's init containers, in order (each migrates one database)."""
    spec = workload(BASE / "shop" / "bookstore-api.yaml", "Deployment", "bookstore-api")["spec"]["template"]["spec"]
    return [c["name"] for c in spec.get("initContainers", [])]


def gateway_routes() -> dict[str, list[tuple[str, str]]]:
    """The shop listener's HTTPRoute: backend (or `redirect:<path>`) -> [(match type, path)]."""
    routes: dict[str, list[tuple[str, str]]] = {}
    for doc in load_documents(BASE / "mesh" / "gateway.yaml"):
        if doc.get("kind") != "HTTPRoute" or doc["metadata"]["name"] != "bookstore":
            continue
        for rule in doc["spec"]["rules"]:
            if rule.get("backendRefs"):
                target = rule["backendRefs"][0]["name"]
            else:
                redirect = rule["filters"][0]["requestRedirect"]
                target = f"redirect:{redirect['path']['replaceFullPath']}"
            matches = [(m["path"]["type"], m["path"]["value"]) for m in rule.get("matches", [])] or [("PathPrefix", "/")]
            routes.setdefault(target, []).extend(matches)
    return routes


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    if not raw.isdigit():
        raise SystemExit(f"{name}={raw}: expected a whole number")
    return int(raw)
