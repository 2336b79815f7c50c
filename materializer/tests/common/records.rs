//! Debezium-shaped Kafka records as the upstream connectors write them (with and without schemas, precise-bytes,
//! string and double decimals, micro and zoned timestamps), a producer for them, and the materializer settings
//! for a broker: shared by the MockCluster tests and the real-broker (tansu) tests.
#![allow(dead_code)]

use std::time::Duration;

use base64::Engine as _;
use bookstore_materializer::{MaterializerConfig, SourceConfig};
use rdkafka::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use serde_json::{Value, json};

use super::{TestDbs, seed_book};

pub const ECOM: &str = "ecom-connector";
pub const INVENTORY: &str = "inventory-connector";

pub fn topic(table: &str) -> String {
    let prefix = if table == "inventory" { INVENTORY } else { ECOM };
    format!("{prefix}.public.{table}")
}

pub fn config(dbs: &TestDbs, bootstrap: &str, group: &str) -> MaterializerConfig {
    let source = SourceConfig::Kafka {
        bootstrap_servers: bootstrap.to_owned(),
        ecom_prefix: ECOM.to_owned(),
        inventory_prefix: INVENTORY.to_owned(),
        group: group.to_owned(),
        properties: Vec::new(),
    };
    let mut config = MaterializerConfig::new(&dbs.analytics, source);
    config.refresh_debounce = Duration::from_millis(100);
    config
}

pub fn source(table: &str, lsn: u64) -> Value {
    json!({"version": "3.4.0.Final", "connector": "postgresql", "name": ECOM, "ts_ms": 1_764_000_000_000i64 + lsn as i64,
           "snapshot": "false", "db": "ecom", "sequence": format!("[\"{}\",\"{lsn}\"]", lsn.saturating_sub(1)),
           "schema": "public", "table": table, "txId": 700 + lsn, "lsn": lsn, "xmin": null})
}

/// Kafka Connect Decimal bytes (big-endian two's complement) of `cents` at scale 2, base64.
pub fn decimal_bytes(cents: i64) -> String {
    let bytes = cents.to_be_bytes();
    let skip = bytes.iter().take(7).take_while(|b| **b == 0).count();
    base64::engine::general_purpose::STANDARD.encode(&bytes[skip..])
}

pub fn book(n: u32, title: &str, cents: i64) -> Value {
    json!({"id": seed_book(n), "title": title, "author": format!("Author {n}"), "price": decimal_bytes(cents),
           "description": "", "cover_url": null, "isbn": format!("978-000000000{n}"), "genre": "Tests",
           "published_year": 2020, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"})
}

/// A books envelope with JsonConverter's schema (precise decimals).
pub fn book_event(op: &str, before: Option<Value>, after: Option<Value>, lsn: u64) -> Value {
    let fields = json!([
        {"type": "string", "optional": false, "name": "io.debezium.data.Uuid", "field": "id"},
        {"type": "bytes", "optional": false, "name": "org.apache.kafka.connect.data.Decimal",
         "parameters": {"scale": "2", "connect.decimal.precision": "10"}, "field": "price"},
        {"type": "string", "optional": false, "name": "io.debezium.time.ZonedTimestamp", "field": "created_at"}]);
    json!({"schema": {"type": "struct", "fields": [
              {"type": "struct", "optional": true, "field": "before", "fields": fields},
              {"type": "struct", "optional": true, "field": "after", "fields": fields}]},
           "payload": {"before": before, "after": after, "op": op, "source": source("books", lsn), "ts_ms": 1}})
}

/// A schemaless orders envelope (decimal as a string).
pub fn order_event(id: &str, status: &str, total: &str, lsn: u64) -> Value {
    json!({"before": null, "op": if lsn.is_multiple_of(2) { "u" } else { "c" }, "source": source("orders", lsn), "after": {
        "id": id, "user_id": "user1", "total": total, "status": status, "idempotency_key": null,
        "created_at": "2026-11-27T10:00:00.123456Z", "updated_at": "2026-11-27T10:00:00.123456Z"}})
}

pub struct Producer(pub FutureProducer);

impl Producer {
    pub fn new(bootstrap: &str) -> Self {
        Producer(ClientConfig::new().set("bootstrap.servers", bootstrap).create().unwrap())
    }

    pub async fn send(&self, table: &str, key: &Value, value: Option<&Value>) {
        let (key, value) = (key.to_string(), value.map(Value::to_string));
        let topic = topic(table);
        let mut record = FutureRecord::to(&topic).key(&key);
        if let Some(value) = &value {
            record = record.payload(value);
        }
        self.0.send(record, Duration::from_secs(5)).await.map_err(|(e, _)| e).unwrap();
    }

    pub async fn send_raw(&self, table: &str, key: &str, value: &str) {
        let topic = topic(table);
        self.0.send(FutureRecord::to(&topic).key(key).payload(value), Duration::from_secs(5)).await.unwrap();
    }
}
