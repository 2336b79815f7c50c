//! The cluster's Debezium Server configuration and this materializer must agree. `deploy/tests/` checks the
//! rendered ConfigMaps against `deploy/tests/expected_cdc_contract.json`; this test checks the same file against
//! the code: the topics the materializer subscribes to, and that a record in the configured envelope (JSON with
//! schemas, precise decimals, adaptive µs timestamps, tombstones on delete) decodes into the right row.

use bookstore_materializer::decode::change::{ChangeKind, TableChange, TableRow};
use bookstore_materializer::{CapturedTable, ChangeEvent, TopicMap};
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn contract() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/tests/expected_cdc_contract.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the deploy contract exists")).unwrap()
}

#[test]
fn the_materializer_subscribes_to_exactly_the_topics_debezium_writes() {
    let contract = contract();
    let topics = TopicMap::new(
        contract["topic_prefixes"]["ecom"].as_str().unwrap(),
        contract["topic_prefixes"]["inventory"].as_str().unwrap(),
    );
    let mut ours = topics.topics();
    let mut theirs: Vec<String> =
        contract["topics"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect();
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs);
    assert_eq!(TopicMap::default().topics(), topics.topics(), "the binary's default prefixes are the cluster's");
}

#[test]
fn a_record_in_the_configured_envelope_decodes() {
    let envelope = &contract()["envelope"];
    assert_eq!(envelope["debezium.format.value"], "json");
    assert_eq!(envelope["debezium.format.value.schemas.enable"], "true");
    assert_eq!(envelope["debezium.source.decimal.handling.mode"], "precise");
    assert_eq!(envelope["debezium.source.time.precision.mode"], "adaptive_time_microseconds");
    assert_eq!(envelope["debezium.source.tombstones.on.delete"], "true");

    // What Debezium emits for a books row under those settings: price as precise Decimal bytes (4999 = 0x1387,
    // scale 2), created_at (timestamptz) as a ZonedTimestamp string, the value wrapped with its schema.
    let field = |name: &str, kind: &str, extra: Value| {
        let mut f = json!({"field": name, "type": kind, "optional": true});
        for (k, v) in extra.as_object().unwrap() {
            f[k] = v.clone();
        }
        f
    };
    let row_schema = json!({"type": "struct", "fields": [
        field("id", "string", json!({"name": "io.debezium.data.Uuid"})),
        field("title", "string", json!({})),
        field("author", "string", json!({})),
        field("price", "bytes", json!({"name": "org.apache.kafka.connect.data.Decimal", "parameters": {"scale": "2", "connect.decimal.precision": "10"}})),
        field("genre", "string", json!({})),
        field("isbn", "string", json!({})),
        field("published_year", "int32", json!({})),
        field("created_at", "string", json!({"name": "io.debezium.time.ZonedTimestamp"})),
    ]});
    let value = json!({
        "schema": {"type": "struct", "fields": [
            {"field": "before", "optional": true, "type": "struct", "fields": row_schema["fields"]},
            {"field": "after", "optional": true, "type": "struct", "fields": row_schema["fields"]},
            {"field": "source", "type": "struct", "fields": []},
            {"field": "op", "type": "string"},
            {"field": "ts_ms", "type": "int64", "optional": true}
        ]},
        "payload": {
            "before": null,
            "after": {"id": "00000000-0000-0000-0000-000000000001", "title": "The Pragmatic Programmer", "author": "David Thomas",
                      "price": "E4c=", "genre": "Software Engineering", "isbn": "978-0135957059", "published_year": 2019,
                      "created_at": "2026-11-27T10:00:00.000000Z"},
            "source": {"version": "3.4.0.Final", "connector": "postgresql", "name": "ecom-connector", "ts_ms": 1764237600000_i64,
                       "snapshot": "false", "db": "ecom", "sequence": "[null,\"23456\"]", "schema": "public", "table": "books",
                       "txId": 777, "lsn": 23456},
            "op": "c",
            "ts_ms": 1764237600100_i64
        }
    });
    let topic = TopicMap::default().topic(CapturedTable::Books);
    let key = json!({"schema": {"type": "struct", "fields": [{"field": "id", "type": "string"}]}, "payload": {"id": "00000000-0000-0000-0000-000000000001"}});
    let event =
        ChangeEvent::from_kafka(&topic, Some(key.to_string().as_bytes()), Some(value.to_string().as_bytes())).unwrap();
    let TableChange::Keyed(change) = TableChange::from_event(CapturedTable::Books, &event).unwrap() else {
        panic!("a create is a keyed change");
    };
    let ChangeKind::Upsert(TableRow::Book(book)) = change.kind else { panic!("a create is an upsert of a book") };
    assert_eq!(book.price, Decimal::new(4999, 2));
    assert_eq!(book.title.as_deref(), Some("The Pragmatic Programmer"));

    // tombstones.on.delete=true: the tombstone after a delete carries nothing for the table.
    let tombstone = ChangeEvent::from_kafka(&topic, Some(key.to_string().as_bytes()), None).unwrap();
    assert_eq!(TableChange::from_event(CapturedTable::Books, &tombstone).unwrap(), TableChange::Ignored);
}
