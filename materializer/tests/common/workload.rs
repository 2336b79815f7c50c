//! The writer of the fault-injection tests: keeps placing orders, changing their status, deleting some, and
//! changing prices and stock in the source databases while the materializer is being killed. For the Kafka source
//! it also plays Debezium: after each source transaction it publishes the changed rows as Debezium envelopes on the
//! upstream topic names, so the sources stay the truth both sources are checked against.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::producer::{FutureProducer, FutureRecord};
use sea_orm::sqlx::{self, PgPool};
use serde_json::{Value, json};

use super::{exec, place_order, seed_book};

/// A small xorshift generator: reproducible from the printed seed, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// A seed from the clock, or `BOOKSTORE_KILL_SEED` to repeat a run; printed either way.
pub fn seed() -> u64 {
    let seed = std::env::var("BOOKSTORE_KILL_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    eprintln!("seed {seed} (BOOKSTORE_KILL_SEED={seed} repeats the random choices)");
    seed
}

/// Publishes source rows as schemaless Debezium envelopes (numerics as strings, timestamps as ISO strings), in
/// order of a growing LSN, keyed like Debezium (`{"id"}`, `{"book_id"}`), deletes followed by a tombstone.
pub struct Debezium {
    producer: FutureProducer,
    lsn: u64,
}

impl Debezium {
    pub fn new(bootstrap: &str) -> Self {
        let producer = ClientConfig::new().set("bootstrap.servers", bootstrap).create().unwrap();
        Debezium { producer, lsn: 1_000 }
    }

    pub fn topic(table: &str) -> String {
        let prefix = if table == "inventory" { "inventory-connector" } else { "ecom-connector" };
        format!("{prefix}.public.{table}")
    }

    /// Current rows of `table` matching `filter`, as Debezium's JSON converter writes them without schemas.
    pub async fn rows(db: &PgPool, table: &str, filter: &str) -> Vec<Value> {
        let numeric = match table {
            "books" => "jsonb_build_object('price', price::text)",
            "orders" => "jsonb_build_object('total', total::text)",
            "order_items" => "jsonb_build_object('price_at_purchase', price_at_purchase::text)",
            _ => "'{}'::jsonb",
        };
        let sql = format!("SELECT to_jsonb(t) || {numeric} FROM {table} t WHERE {filter}");
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(db).await.unwrap()
    }

    pub async fn send(&mut self, table: &str, op: &str, before: Option<&Value>, after: Option<&Value>) {
        self.lsn += 1;
        let lsn = self.lsn;
        let row = after.or(before).expect("a row image");
        let key = if table == "inventory" { json!({"book_id": row["book_id"]}) } else { json!({"id": row["id"]}) };
        let now_ms = chrono::Utc::now().timestamp_millis();
        let topic = Self::topic(table);
        let prefix = topic.split('.').next().unwrap_or_default().to_owned();
        let db = if table == "inventory" { "inventory" } else { "ecom" };
        let envelope = json!({"before": before, "after": after, "op": op, "ts_ms": now_ms, "source": {
            "version": "3.4.0.Final", "connector": "postgresql", "name": prefix, "ts_ms": now_ms,
            "snapshot": if op == "r" { "true" } else { "false" }, "db": db,
            "sequence": format!("[\"{}\",\"{lsn}\"]", lsn - 1), "schema": "public", "table": table,
            "txId": lsn, "lsn": lsn, "xmin": null}});
        let (key, value) = (key.to_string(), envelope.to_string());
        let record = FutureRecord::to(&topic).key(&key).payload(&value);
        self.producer.send(record, Duration::from_secs(10)).await.map_err(|(e, _)| e).unwrap();
        if op == "d" {
            let tombstone = FutureRecord::<String, String>::to(&topic).key(&key);
            self.producer.send(tombstone, Duration::from_secs(10)).await.map_err(|(e, _)| e).unwrap();
        }
    }

    /// Publishes the current rows of `table` matching `filter` with `op`.
    pub async fn publish(&mut self, db: &PgPool, table: &str, op: &str, filter: &str) {
        for row in Self::rows(db, table, filter).await {
            self.send(table, op, None, Some(&row)).await;
        }
    }
}

/// Keeps changing both source databases until `stop`; counts operations in `ops`. With `kafka`, first publishes
/// the books and stock as a snapshot (`r`), then every change.
pub async fn write_until(
    stop: Arc<AtomicBool>,
    ops: Arc<AtomicU64>,
    ecom: PgPool,
    inventory: PgPool,
    seed: u64,
    mut kafka: Option<Debezium>,
) {
    if let Some(kafka) = &mut kafka {
        kafka.publish(&ecom, "books", "r", "true").await;
        kafka.publish(&inventory, "inventory", "r", "true").await;
    }
    let mut rng = Rng(seed | 1);
    let mut orders: Vec<String> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let n = ops.fetch_add(1, Ordering::SeqCst);
        let book = |rng: &mut Rng| 1 + rng.next(9) as u32;
        let lines = [(book(&mut rng), 1 + rng.next(3) as i32), (book(&mut rng), 1)];
        let order = place_order(&ecom, &format!("user{}", rng.next(5)), &lines).await;
        if let Some(kafka) = &mut kafka {
            kafka.publish(&ecom, "orders", "c", &format!("id = '{order}'")).await;
            kafka.publish(&ecom, "order_items", "c", &format!("order_id = '{order}'")).await;
        }
        orders.push(order);
        if n.is_multiple_of(3) {
            let order = &orders[rng.next(orders.len() as u64) as usize];
            let status = ["SHIPPED", "CANCELLED", "DELIVERED"][rng.next(3) as usize];
            exec(&ecom, &format!("UPDATE orders SET status = '{status}' WHERE id = '{order}'")).await;
            if let Some(kafka) = &mut kafka {
                kafka.publish(&ecom, "orders", "u", &format!("id = '{order}'")).await;
            }
        }
        if n.is_multiple_of(4) {
            let id = seed_book(book(&mut rng));
            exec(
                &inventory,
                &format!("UPDATE inventory SET quantity = quantity + {} WHERE book_id = '{id}'", rng.next(5)),
            )
            .await;
            if let Some(kafka) = &mut kafka {
                kafka.publish(&inventory, "inventory", "u", &format!("book_id = '{id}'")).await;
            }
        }
        if n.is_multiple_of(7) {
            let id = seed_book(book(&mut rng));
            exec(&ecom, &format!("UPDATE books SET price = {} / 100.0 WHERE id = '{id}'", 500 + rng.next(6000))).await;
            if let Some(kafka) = &mut kafka {
                kafka.publish(&ecom, "books", "u", &format!("id = '{id}'")).await;
            }
        }
        if n.is_multiple_of(11) && orders.len() > 1 {
            let order = orders.swap_remove(rng.next(orders.len() as u64) as usize);
            // The items go with the order (ON DELETE CASCADE); Debezium reports each row's delete.
            let mut deleted = Vec::new();
            if kafka.is_some() {
                for table in ["order_items", "orders"] {
                    let filter = if table == "orders" { "id" } else { "order_id" };
                    for row in Debezium::rows(&ecom, table, &format!("{filter} = '{order}'")).await {
                        deleted.push((table, row));
                    }
                }
            }
            exec(&ecom, &format!("DELETE FROM orders WHERE id = '{order}'")).await;
            if let Some(kafka) = &mut kafka {
                for (table, before) in &deleted {
                    kafka.send(table, "d", Some(before), None).await;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
