//! The binary's one-shot entry points: `replay` of a `kcat -C -J` dump (with a tombstone, a foreign topic and a
//! broken line), `reconcile` (no drift after the embedded source caught up, drift once analytics is tampered
//! with, both logged), and `view` / `freshness` for the analytics endpoints.

mod common;

use std::io::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use bookstore_materializer::sources::topic::TopicMap;
use bookstore_materializer::{
    Materializer, MaterializerConfig, SourceConfig, ViewError, freshness, reconcile, replay, view,
};
use common::*;
use sea_orm::Database;
use serde_json::json;

fn kcat_line(
    topic: &str,
    partition: i32,
    offset: i64,
    key: serde_json::Value,
    payload: Option<serde_json::Value>,
) -> String {
    json!({"topic": topic, "partition": partition, "offset": offset, "tstype": "create", "ts": 1_764_000_000_000i64,
           "broker": 1, "key": key.to_string(), "payload": payload.map(|p| p.to_string())})
    .to_string()
}

fn inventory_event(book: u32, quantity: i32, lsn: u64) -> serde_json::Value {
    json!({"before": null, "op": "c", "after": {"book_id": seed_book(book), "quantity": quantity, "reserved": 0,
           "updated_at": "2026-11-27T10:00:00Z"},
           "source": {"connector": "postgresql", "db": "inventory", "schema": "public", "table": "inventory",
                      "lsn": lsn, "ts_ms": 1_764_237_600_000i64, "snapshot": "false"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_a_kcat_dump() {
    let dbs = test_dbs().await;
    let analytics = pool(&dbs.analytics).await;
    let topic = "inventory-connector.public.inventory";
    let key = |n| json!({"book_id": seed_book(n)});
    let lines = [
        kcat_line(topic, 0, 0, key(1), Some(inventory_event(1, 5, 10))),
        kcat_line(topic, 0, 1, key(2), Some(inventory_event(2, 6, 11))),
        kcat_line(topic, 0, 2, key(1), Some(inventory_event(1, 9, 12))),
        kcat_line(
            topic,
            0,
            3,
            key(2),
            Some(json!({"before": {"book_id": seed_book(2)}, "after": null, "op": "d",
            "source": {"lsn": 13, "snapshot": "false", "table": "inventory"}})),
        ),
        kcat_line(topic, 0, 4, key(2), None),
        kcat_line("ecom-connector.public.cart_items", 0, 0, key(3), Some(json!({}))),
        "this is not a record".to_owned(),
    ];
    let mut file = tempfile::NamedTempFile::new().unwrap();
    for line in &lines {
        writeln!(file, "{line}").unwrap();
    }
    let calls = Mutex::new(Vec::new());
    let summary = replay(file.path(), &dbs.analytics, &TopicMap::default(), |done, total| {
        calls.lock().unwrap().push((done, total))
    })
    .await
    .unwrap();
    assert_eq!((summary.records, summary.upserts, summary.deletes), (7, 1, 1), "{summary:?}");
    assert_eq!((summary.parse_errors, summary.skipped), (1, 1), "{summary:?}");
    let progress = calls.into_inner().unwrap();
    assert!(progress.last().is_some_and(|(done, total)| done == total && *total > 0), "{progress:?}");
    assert_eq!(json_rows(&analytics, "SELECT quantity FROM fact_inventory").await, [r#"{"quantity":9}"#]);
    assert_eq!(scalar_i64(&analytics, "SELECT position FROM materializer_offsets").await, 5);
    assert_eq!(
        scalar_i64(&analytics, "SELECT count(*) FROM cdc_parse_errors WHERE reason LIKE 'not a kcat%'").await,
        1
    );

    // Replaying the same dump again changes nothing: positions make it idempotent.
    let again = replay(file.path(), &dbs.analytics, &TopicMap::default(), |_, _| {}).await.unwrap();
    assert_eq!(again.records, 7);
    assert_eq!(json_rows(&analytics, "SELECT quantity FROM fact_inventory").await, [r#"{"quantity":9}"#]);
    dbs.drop().await;
}

/// A dump of `books` books and of orders `first..first + orders`, two lines each, on the upstream topics.
fn sales_dump(books: u32, first: u32, orders: u32) -> tempfile::NamedTempFile {
    let source = |table: &str, lsn: u32| {
        json!({"connector": "postgresql", "db": "ecom", "schema": "public",
        "table": table, "lsn": lsn, "ts_ms": 1_764_237_600_000i64, "snapshot": "false"})
    };
    let uuid = |kind: u32, n: u32| format!("{kind:08x}-0000-0000-0000-{n:012x}");
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let mut offsets = std::collections::HashMap::new();
    let mut emit = |table: &str, key: serde_json::Value, after: serde_json::Value, lsn: u32| {
        let topic = format!("ecom-connector.public.{table}");
        let offset = offsets.entry(topic.clone()).or_insert(0);
        let payload = json!({"before": null, "after": after, "op": "c", "source": source(table, lsn)});
        writeln!(file, "{}", kcat_line(&topic, 0, *offset, key, Some(payload))).unwrap();
        *offset += 1;
    };
    for b in 1..=books {
        let after = json!({"id": seed_book(b), "title": format!("Book {b}"), "author": format!("Author {}", b % 3),
            "price": "12.50", "isbn": format!("isbn-{b}"), "genre": "Fiction", "published_year": 2020,
            "created_at": "2026-01-01T00:00:00Z"});
        emit("books", json!({"id": seed_book(b)}), after, b);
    }
    for o in first..first + orders {
        let status = if o % 5 == 0 { "CANCELLED" } else { "CONFIRMED" };
        let lsn = 1000 + o * 3;
        let order = json!({"id": uuid(2, o), "user_id": format!("user{}", o % 7), "total": "37.50",
            "status": status, "created_at": format!("2026-11-{:02}T10:00:00Z", 1 + o % 27)});
        emit("orders", json!({"id": uuid(2, o)}), order, lsn);
        for (line, (book, quantity, price)) in
            [(1 + o % books, 1, "12.50"), (1 + (o + 1) % books, 2, "12.50")].iter().enumerate()
        {
            let item = json!({"id": uuid(3, o * 2 + line as u32), "order_id": uuid(2, o), "book_id": seed_book(*book),
                "quantity": quantity, "price_at_purchase": price});
            emit("order_items", json!({"id": uuid(3, o * 2 + line as u32)}), item, lsn + 1 + line as u32);
        }
    }
    file
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_replay_defers_the_summaries_and_rebuilds_them() {
    let dbs = test_dbs().await;
    let analytics = pool(&dbs.analytics).await;
    let stale = "SELECT count(*) FROM agg_status WHERE stale_since IS NOT NULL";

    // Into an empty analytics database the dump outweighs the history: deferred, rebuilt once at the end.
    let bulk = replay(sales_dump(6, 0, 400).path(), &dbs.analytics, &TopicMap::default(), |_, _| {}).await.unwrap();
    assert!(bulk.summaries_rebuilt, "{bulk:?}");
    assert_eq!((bulk.records, bulk.upserts, bulk.parse_errors), (1206, 1206, 0), "{bulk:?}");
    assert_eq!(scalar_i64(&analytics, stale).await, 0);
    assert_eq!(differing_views(&analytics, &analytics).await, Vec::<String>::new());
    assert_eq!(scalar_i64(&analytics, "SELECT sum(order_count)::int8 FROM vw_sales_over_time").await, 320);

    // A small dump over a known larger history applies the deltas as it goes, with the same result.
    let small = replay(sales_dump(6, 400, 30).path(), &dbs.analytics, &TopicMap::default(), |_, _| {}).await.unwrap();
    assert!(!small.summaries_rebuilt, "{small:?}");
    assert_eq!(differing_views(&analytics, &analytics).await, Vec::<String>::new());
    assert_eq!(scalar_i64(&analytics, "SELECT sum(order_count)::int8 FROM vw_sales_over_time").await, 344);

    // Asking to defer without the stale mark changes nothing: the triggers still apply the deltas.
    exec(
        &analytics,
        "SET bookstore.defer_summaries = on;
         INSERT INTO fact_orders (order_id, user_id, total, status, created_at) VALUES
             ('00000002-0000-0000-0000-0000000fffff', 'u', 10, 'CONFIRMED', '2026-11-27T10:00:00Z');
         RESET bookstore.defer_summaries;",
    )
    .await;
    assert_eq!(scalar_i64(&analytics, "SELECT sum(order_count)::int8 FROM vw_sales_over_time").await, 345);

    // A bulk load that died half-way leaves the mark; the materializer's next start rebuilds the summaries.
    exec(
        &analytics,
        "SELECT agg_defer();
         SET bookstore.defer_summaries = on;
         INSERT INTO fact_orders (order_id, user_id, total, status, created_at) VALUES
             ('00000002-0000-0000-0000-0000000ffffe', 'u', 10, 'CONFIRMED', '2026-11-27T10:00:00Z');
         RESET bookstore.defer_summaries;",
    )
    .await;
    assert_eq!(scalar_i64(&analytics, "SELECT sum(order_count)::int8 FROM vw_sales_over_time").await, 345);
    assert_eq!(scalar_i64(&analytics, stale).await, 1);
    // (A Kafka source with no broker behind it: nothing arrives to change the facts meanwhile.)
    let materializer = Materializer::start(records::config(&dbs, "127.0.0.1:9", "bulk")).await.unwrap();
    assert_eq!(scalar_i64(&analytics, stale).await, 0);
    assert_eq!(scalar_i64(&analytics, "SELECT sum(order_count)::int8 FROM vw_sales_over_time").await, 346);
    materializer.shutdown().await;
    dbs.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_view_and_freshness_after_the_embedded_source() {
    let dbs = test_dbs().await;
    let (ecom, inventory, analytics) = (pool(&dbs.ecom).await, pool(&dbs.inventory).await, pool(&dbs.analytics).await);
    let source = SourceConfig::Embedded {
        ecom_url: dbs.ecom.clone(),
        inventory_url: dbs.inventory.clone(),
        slot_prefix: dbs.slot_prefix.clone(),
    };
    let mut config = MaterializerConfig::new(&dbs.analytics, source);
    config.refresh_debounce = Duration::from_millis(50);
    let materializer = Materializer::start(config).await.unwrap();
    place_order(&ecom, "user1", &[(6, 2)]).await;
    let caught_up = eventually(Duration::from_secs(30), || async {
        differing_tables(&analytics, &ecom, &inventory).await.is_empty()
    })
    .await;
    assert!(caught_up);
    // The views follow the facts in their transactions; refreshedAt is recorded shortly after (debounced).
    let refreshed = eventually(Duration::from_secs(30), || async {
        scalar_i64(&analytics, "SELECT count(*) FROM vw_product_sales_volume").await == 1
    })
    .await;
    assert!(refreshed, "the views were refreshed after the order");
    let db = Database::connect(&dbs.analytics).await.unwrap();
    let sales = view(&db, "vw_product_sales_volume").await.unwrap();
    assert_eq!(sales.rows.len(), 1);
    assert_eq!(sales.rows[0]["title"], "Kubernetes in Action");
    assert_eq!(sales.rows[0]["units_sold"], 2);
    assert!(sales.refreshed_at.is_some());

    let report = reconcile(&dbs.ecom, &dbs.inventory, &dbs.analytics).await.unwrap();
    assert!(!report.has_drift(), "{report:?}");
    let tables: Vec<_> = report.tables.iter().map(|t| t.table.as_str()).collect();
    assert_eq!(tables, ["dim_books", "fact_orders", "fact_orders[CONFIRMED]", "fact_order_items", "fact_inventory"]);
    materializer.shutdown().await;
    // A status change that never arrived: the totals agree, the statuses do not.
    exec(&analytics, "UPDATE fact_orders SET status = 'SHIPPED'").await;
    let report = reconcile(&dbs.ecom, &dbs.inventory, &dbs.analytics).await.unwrap();
    let drifted: Vec<_> = report.tables.iter().filter(|t| t.drift).map(|t| t.table.as_str()).collect();
    assert_eq!(drifted, ["fact_orders[CONFIRMED]", "fact_orders[SHIPPED]"]);
    exec(&analytics, "UPDATE fact_orders SET status = 'CONFIRMED'").await;
    exec(&analytics, "DELETE FROM fact_order_items").await;
    let report = reconcile(&dbs.ecom, &dbs.inventory, &dbs.analytics).await.unwrap();
    let drifted: Vec<_> = report.tables.iter().filter(|t| t.drift).map(|t| t.table.as_str()).collect();
    assert_eq!(drifted, ["fact_order_items"]);
    assert_eq!(scalar_i64(&analytics, "SELECT count(*) FROM cdc_reconciliation_log WHERE drift").await, 3);
    assert_eq!(scalar_i64(&analytics, "SELECT count(*) FROM cdc_reconciliation_log").await, 16);
    // The views read summaries the fact tables' triggers maintain: even a change by hand shows at once (ADR 006).
    assert!(view(&db, "vw_product_sales_volume").await.unwrap().rows.is_empty());

    let bands = view(&db, "vw_book_price_distribution").await.unwrap();
    let names: Vec<_> = bands.rows.iter().map(|r| r["price_range"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, ["Under $10", "$10–$19", "$20–$29", "$30–$49", "$50+"]);
    for bad in ["dim_books", "vw_product_sales_volume; DROP TABLE dim_books", "vw_nope"] {
        assert!(matches!(view(&db, bad).await, Err(ViewError::UnknownView(_))), "{bad}");
    }
    let fresh = freshness(&db).await.unwrap();
    let seconds = fresh.freshness_seconds.expect("a streamed change was applied");
    assert!((0.0..30.0).contains(&seconds), "{fresh:?}");
    db.close().await.unwrap();
    dbs.drop().await;
}
