"""The local cluster (`scripts/cluster`, deploy/local/) runs the deploy's own settings: these checks fail when the
two drift apart.

The local cluster reads the manifests, the Debezium properties, the topic list, the roles script and the
bookstore ConfigMap directly, and replaces only addresses (`settings.ADDRESSES`) and the few values
`DEBEZIUM_LOCAL_ONLY` names. So what can drift is exactly that: an in-cluster address the map does not cover, an
override of a setting the deploy no longer has, a Debezium setting the local runner would not pass on, a route
of the Gateway the local gateway does not serve, or a replica count.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BASE, REPO

LOCAL = REPO / "deploy" / "local"
sys.path.insert(0, str(LOCAL))

import debezium_runner  # noqa: E402
import settings  # noqa: E402

PORTS = settings.Ports(19000)
SOURCES = ("ecom", "inventory")


@pytest.fixture()
def secret_values(tmp_path: Path) -> dict[str, str]:
    return settings.load_secrets(tmp_path)


def test_secrets_cover_every_secret_key_the_workloads_read(secret_values):
    used = set()
    for path in (BASE / "data").glob("*.yaml"):
        used |= set(re.findall(r"secretKeyRef:\s*\n\s*name:\s*\S+\s*\n\s*key:\s*(\S+)", path.read_text()))
    for path in (BASE / "shop").glob("*.yaml"):
        used |= set(re.findall(r"secretKeyRef:\s*\n\s*name:\s*\S+\s*\n\s*key:\s*(\S+)", path.read_text()))
    assert used and used <= set(secret_values), f"no local value for {sorted(used - set(secret_values))}"


@pytest.mark.parametrize("workload,kind,name,container,init", [
    ("bookstore-api.yaml", "Deployment", "bookstore-api", "api", False),
    ("bookstore-api.yaml", "Deployment", "bookstore-api", "migrate-ecom", True),
    ("bookstore-api.yaml", "Deployment", "bookstore-api", "migrate-inventory", True),
    ("bookstore-api.yaml", "Deployment", "bookstore-api", "migrate-analytics", True),
    ("bookstore-materializer.yaml", "Deployment", "bookstore-materializer", "materializer", False),
])
def test_bookstore_settings_are_the_deploys_with_local_addresses(secret_values, workload, kind, name, container,
                                                                init):
    deployed = settings.container_env(settings.container(BASE / "shop" / workload, kind, name, container, init),
                                      secret_values)
    local = settings.bookstore_env(workload, kind, name, container, secret_values, PORTS, init=init)
    assert set(local) == set(deployed)
    for key, value in deployed.items():
        if local[key] != value:
            # Only addresses differ, and every in-cluster address is replaced by a loopback one.
            assert settings.CLUSTER_ADDRESS.search(value), f"{key}: {value!r} changed but names no cluster address"
            assert "127.0.0.1:" in local[key] and not settings.CLUSTER_ADDRESS.search(local[key]), local[key]


def test_every_in_cluster_address_of_the_settings_has_a_local_one(secret_values):
    # localize() refuses a value that still names a cluster address after mapping.
    for workload, name, containers in [("bookstore-api.yaml", "bookstore-api", ["api"]),
                                       ("bookstore-materializer.yaml", "bookstore-materializer", ["materializer"])]:
        for container in containers:
            settings.bookstore_env(workload, "Deployment", name, container, secret_values, PORTS)
    for source in SOURCES:
        settings.debezium(source, secret_values, PORTS, Path("/tmp/x"))


@pytest.mark.parametrize("source", SOURCES)
def test_debezium_runner_passes_every_deploy_setting_on(source, secret_values, tmp_path):
    config = settings.debezium(source, secret_values, PORTS, tmp_path)
    deployed = debezium_runner.read_properties(config.properties)
    # Each override names a setting the deploy has (else the override is stale) ...
    assert set(config.overrides) <= set(deployed), sorted(set(config.overrides) - set(deployed))
    local = debezium_runner.configuration(config.properties, [f"{k}={v}" for k, v in config.overrides.items()],
                                          config.env)
    # ... and nothing else differs but placeholders the StatefulSet's environment fills.
    for key, value in deployed.items():
        if key in config.overrides:
            continue
        if "${" in value:
            assert "${" not in local[key], f"{key} left unexpanded"
        else:
            assert local[key] == value, key
    # The runner translates every key (an unknown one would stop it).
    engine, producer = debezium_runner.translate(local)
    assert engine["connector.class"] == "io.debezium.connector.postgresql.PostgresConnector"
    assert engine["database.port"] == str(PORTS.postgres(source))
    assert engine["key.converter.schemas.enable"] == deployed["debezium.format.key.schemas.enable"]
    assert producer["acks"] == "all" and producer["enable.idempotence"] == "true"
    assert producer["bootstrap.servers"] == f"127.0.0.1:{PORTS.kafka}"


def test_debezium_runner_refuses_settings_it_would_drop(tmp_path):
    path = tmp_path / "x.properties"
    path.write_text("debezium.sink.type=kafka\ndebezium.sink.pubsub.project.id=p\n")
    with pytest.raises(SystemExit, match="does not translate"):
        debezium_runner.translate(debezium_runner.configuration(path, [], {}))
    with pytest.raises(SystemExit, match="no such key"):
        debezium_runner.configuration(path, ["debezium.source.nope=1"], {})


def test_debezium_runner_prints_its_configuration(secret_values, tmp_path):
    config = settings.debezium("ecom", secret_values, PORTS, tmp_path)
    argv = [sys.executable, str(LOCAL / "debezium_runner.py"), str(config.properties), "--print-config"]
    for key, value in config.overrides.items():
        argv += ["--set", f"{key}={value}"]
    out = subprocess.run(argv, env={**os.environ, **config.env}, capture_output=True, text=True, check=True).stdout
    assert "engine transforms.outbox.type=io.debezium.transforms.outbox.EventRouter" in out
    assert "engine database.password=****" in out and secret_values["DEBEZIUM_ECOM_DB_PASSWORD"] not in out


def test_gateway_serves_every_route_of_the_httproute(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKSTORE_CLUSTER_DIR", str(tmp_path))
    import cluster
    config = cluster.haproxy_config()
    for target, matches in settings.gateway_routes().items():
        for kind, path in matches:
            assert f" path {path}" in config, f"{kind} {path} of {target} is not routed locally"
    assert "http-request redirect location / code 302" in config, "/metrics must not reach the API"
    assert "balance roundrobin" in config and "cookie" not in config and "stick" not in config, "no affinity"


def test_replicas_and_components_follow_the_deploy(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKSTORE_CLUSTER_DIR", str(tmp_path))
    import cluster
    names = [c.name for c in cluster.components()]
    api = settings.replicas(BASE / "shop" / "bookstore-api.yaml", "Deployment", "bookstore-api")
    materializers = settings.replicas(BASE / "shop" / "bookstore-materializer.yaml", "Deployment",
                                      "bookstore-materializer")
    assert api >= 2 and materializers >= 2, "the distributed form runs replicas of both"
    assert [n for n in names if n.startswith("api-")] == [f"api-{r}" for r in range(1, api + 1)]
    assert [n for n in names if n.startswith("materializer-")] == [f"materializer-{r}" for r in
                                                                   range(1, materializers + 1)]
    for source in SOURCES:
        assert "wal_level=logical" in settings.postgres(source, settings.load_secrets(tmp_path)).args


def test_kafka_topics_come_from_the_topic_job():
    topics = {t for t, _, _ in settings.kafka_topics()}
    assert "outbox.event.order" in topics and "ecom-connector.public.orders" in topics
