"""(4): Debezium Server configuration <-> materializer agreement.

The expected side is expected_cdc_contract.json (to be generated from the materializer's code). The
rendered side is: the two Debezium Server ConfigMaps, the Kafka topic Job's list and the materializer's
settings. The migrations' `CREATE PUBLICATION bookstore_cdc FOR TABLE ...` must publish exactly the tables
Debezium captures (with autocreate disabled, a missing table would silently produce no events).
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import REPO, TESTS, by_kind

EXPECTED = json.loads((TESTS / "expected_cdc_contract.json").read_text())
SOURCES = ("ecom", "inventory")


def parse_properties(text: str) -> dict[str, str]:
    props = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, _, value = line.partition("=")
        assert key.strip() not in props, f"property {key.strip()} set twice"
        props[key.strip()] = value.strip()
    return props


def configmap(objects, namespace: str, base_name: str) -> dict:
    # kustomize appends a content hash to generated names: match "<name>-<hash>".
    found = [c for c in by_kind(objects, "ConfigMap") if c["metadata"]["namespace"] == namespace
             and re.fullmatch(re.escape(base_name) + r"-[a-z0-9]{10}", c["metadata"]["name"])]
    assert len(found) == 1, f"expected one ConfigMap {namespace}/{base_name}-<hash>, found {len(found)}"
    return found[0]


@pytest.fixture(scope="module")
def debezium(objects) -> dict[str, dict[str, str]]:
    return {src: parse_properties(configmap(objects, "data", f"debezium-{src}")["data"]["application.properties"])
            for src in SOURCES}


def topics_of(props: dict[str, str]) -> list[str]:
    """The table topics a connector writes (what the materializer reads): one per captured table, except the
    outbox, whose records the outbox event router sends to the event topic instead."""
    prefix = props["debezium.source.topic.prefix"]
    tables = [t.strip() for t in props["debezium.source.table.include.list"].split(",") if t.strip()]
    for t in tables:
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", t), f"table.include.list entry {t!r} is not a literal schema.table"
    return [f"{prefix}.{t}" for t in tables if t != EXPECTED["outbox"]["table"]]


def test_topic_prefixes(debezium):
    for src in SOURCES:
        assert debezium[src]["debezium.source.topic.prefix"] == EXPECTED["topic_prefixes"][src]


def test_rendered_topics_equal_expected(debezium):
    rendered = [t for src in SOURCES for t in topics_of(debezium[src])]
    assert len(rendered) == len(set(rendered)), f"duplicate topics: {rendered}"
    assert sorted(rendered) == sorted(EXPECTED["topics"])


@pytest.mark.parametrize("src", SOURCES)
def test_envelope_settings(debezium, src):
    props = debezium[src]
    actual = {k: props.get(k) for k in EXPECTED["envelope"]}
    assert actual == EXPECTED["envelope"]
    assert props.get("debezium.sink.type") == "kafka"


@pytest.mark.parametrize("src", SOURCES)
def test_source_uses_the_migration_publication(debezium, src):
    props = debezium[src]
    actual = {k: props.get(k) for k in EXPECTED["source"]}
    assert actual == EXPECTED["source"]
    assert props["debezium.source.database.dbname"] == src


def test_each_connector_has_its_own_slot(debezium):
    slots = [debezium[src].get("debezium.source.slot.name") for src in SOURCES]
    assert all(slots) and len(set(slots)) == len(slots), f"replication slots must be distinct: {slots}"


def test_outbox_router(debezium):
    """The ecom connector routes the outbox's inserts, and only those, through Debezium's outbox event router."""
    props, outbox = debezium["ecom"], EXPECTED["outbox"]
    assert outbox["table"] in props["debezium.source.table.include.list"].split(",")
    transforms = props["debezium.transforms"].split(",")
    assert transforms == ["outbox"]
    assert props["debezium.transforms.outbox.type"] == outbox["router"]
    assert props["debezium.transforms.outbox.table.field.event.key"] == outbox["key"]
    assert f":header:{outbox['event_type_header']}" in props["debezium.transforms.outbox.table.fields.additional.placement"]
    predicate = props["debezium.transforms.outbox.predicate"]
    pattern = props[f"debezium.predicates.{predicate}.pattern"]
    table_topic = f"{props['debezium.source.topic.prefix']}.{outbox['table']}"
    assert re.fullmatch(pattern, table_topic)
    for other in topics_of(props):
        assert not re.fullmatch(pattern, other), f"the outbox router would also rewrite {other}"
    assert "debezium.transforms" not in debezium["inventory"]


def test_topic_job_creates_exactly_the_expected_topics(objects):
    text = configmap(objects, "data", "kafka-config")["data"]["kafka-topics.txt"]
    rows = [line.split() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert all(len(r) >= 2 and r[1].isdigit() and int(r[1]) >= 1 for r in rows), f"bad rows: {rows}"
    assert sorted(r[0] for r in rows) == sorted(EXPECTED["topics"] + [EXPECTED["outbox"]["topic"]])
    server = parse_properties(configmap(objects, "data", "kafka-config")["data"]["server.properties"])
    assert server.get("auto.create.topics.enable") == "false", "topics must come from the Job only"


def test_materializer_settings_match(objects):
    settings = configmap(objects, "shop", "bookstore-config")["data"]
    assert settings["CDC_ECOM_TOPIC_PREFIX"] == EXPECTED["topic_prefixes"]["ecom"]
    assert settings["CDC_INVENTORY_TOPIC_PREFIX"] == EXPECTED["topic_prefixes"]["inventory"]
    deployments = [d for d in by_kind(objects, "Deployment") if d["metadata"]["name"] == "bookstore-materializer"]
    assert len(deployments) == 1
    container = deployments[0]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["materialize"]
    assert any(ref.get("configMapRef", {}).get("name", "").startswith("bookstore-config-")
               for ref in container.get("envFrom", [])), "materializer does not read bookstore-config"
    kafka = settings["KAFKA_BOOTSTRAP_SERVERS"]
    for src in SOURCES:
        dbz = [s for s in by_kind(objects, "StatefulSet") if s["metadata"]["name"] == f"debezium-{src}"][0]
        env = {e["name"]: e.get("value") for e in dbz["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == kafka, "Debezium and the materializer use different brokers"


def publication_tables(database: str) -> set[str]:
    sql_dir = REPO / "migration" / "src"
    statements = []
    for path in sorted(sql_dir.rglob("*.sql")):
        if f"/{database}/" not in path.as_posix():
            continue
        statements += re.findall(r"(?:CREATE\s+PUBLICATION\s+bookstore_cdc\s+FOR|ALTER\s+PUBLICATION\s+bookstore_cdc"
                                 r"\s+ADD)\s+TABLE\s+([^;]+);", path.read_text(), flags=re.I)
    if not statements:
        pytest.fail(f"no `CREATE PUBLICATION bookstore_cdc FOR TABLE` for {database} under {sql_dir}")
    return {t.strip().split(".")[-1] for s in statements for t in s.split(",")}


@pytest.mark.parametrize("src", SOURCES)
def test_publication_matches_captured_tables(debezium, src):
    captured = {t.split(".")[-1] for t in debezium[src]["debezium.source.table.include.list"].split(",")}
    assert publication_tables(src) == captured
