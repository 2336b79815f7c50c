//! The Kafka source end to end against a real Kafka-protocol broker: a tansu process on a free port,
//! fed by the test with Debezium-shaped records on the upstream topic names. Books, an order with its items and
//! stock reach the star schema and the views; an update and a delete (with its tombstone) are applied; a stopped
//! and restarted materializer resumes from the offsets stored in analytics: records that arrived meanwhile are
//! applied, and nothing read before is read again.
//!
//! Without the broker binary the test fails and says how to install it (`BOOKSTORE_TANSU_BIN` points elsewhere).

mod common;

use std::time::Duration;

use bookstore_materializer::Materializer;
use common::records::*;
use common::*;
use serde_json::json;

/// Every book, order and stock row as the views show them.
async fn views(analytics: &sea_orm::sqlx::PgPool) -> [Vec<String>; 3] {
    [
        json_rows(analytics, "SELECT title, units_sold, revenue FROM vw_product_sales_volume").await,
        json_rows(analytics, "SELECT status, order_count, total_revenue FROM vw_order_status_distribution").await,
        json_rows(analytics, "SELECT title, stock_quantity, reserved, stock_status FROM vw_inventory_health").await,
    ]
}

async fn stored_offsets(analytics: &sea_orm::sqlx::PgPool) -> i64 {
    scalar_i64(analytics, "SELECT coalesce(sum(position), 0)::int8 FROM materializer_offsets").await
}

fn item(i: u32, order: &str, book_no: u32, quantity: i32, lsn: u64) -> (serde_json::Value, serde_json::Value) {
    let id = format!("30000000-0000-0000-0000-{i:012}");
    let event = json!({"before": null, "op": "c", "source": source("order_items", lsn), "after": {
        "id": id, "order_id": order, "book_id": seed_book(book_no), "quantity": quantity, "price_at_purchase": 10.5}});
    (json!({"id": id}), event)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_source_over_a_real_broker() {
    let broker = tansu::Tansu::start(2);
    let dbs = test_dbs().await;
    let analytics = pool(&dbs.analytics).await;
    let producer = Producer::new(&broker.bootstrap);
    let mut records = 0;

    for (n, title, cents) in [(1, "One", 4999), (2, "Two", 1050), (3, "Three", 2500)] {
        let event = book_event("c", None, Some(book(n, title, cents)), 10 + u64::from(n));
        producer.send("books", &json!({"id": seed_book(n)}), Some(&event)).await;
        records += 1;
    }
    let update = book_event("u", Some(book(1, "One", 4999)), Some(book(1, "One", 999)), 20);
    producer.send("books", &json!({"id": seed_book(1)}), Some(&update)).await;
    let delete = book_event("d", Some(book(3, "Three", 2500)), None, 21);
    producer.send("books", &json!({"id": seed_book(3)}), Some(&delete)).await;
    producer.send("books", &json!({"id": seed_book(3)}), None).await;
    let order = "20000000-0000-0000-0000-000000000001";
    producer.send("orders", &json!({"id": order}), Some(&order_event(order, "CONFIRMED", "31.50", 31))).await;
    producer.send_raw("orders", r#"{"id": "x"}"#, "{not json").await;
    for (i, book_no, quantity) in [(1, 1, 2), (2, 2, 1)] {
        let (key, event) = item(i, order, book_no, quantity, 31);
        producer.send("order_items", &key, Some(&event)).await;
    }
    for n in 1..=2u32 {
        let stock = json!({"before": null, "op": "r", "source": source("inventory", 5), "after": {
            "book_id": seed_book(n), "quantity": n, "reserved": 0, "updated_at": 1_764_237_600_000_000i64}});
        producer.send("inventory", &json!({"book_id": seed_book(n)}), Some(&stock)).await;
    }
    records += 3 + 2 + 2 + 2;

    let materializer = Materializer::start(config(&dbs, &broker.bootstrap, "tansu-e2e")).await.unwrap();
    let arrived = eventually(Duration::from_secs(90), || async {
        stored_offsets(&analytics).await == records
            && scalar_i64(&analytics, "SELECT count(*) FROM fact_order_items").await == 2
            && scalar_i64(&analytics, "SELECT count(*) FROM fact_inventory").await == 2
    })
    .await;
    assert!(arrived, "{:?}\nbroker log:\n{}", materializer.status().snapshot(), broker.log());
    assert_eq!(
        json_rows(&analytics, "SELECT title, price FROM dim_books").await,
        [r#"{"price":10.5,"title":"Two"}"#, r#"{"price":9.99,"title":"One"}"#],
        "the price update applied, the deleted book gone"
    );
    assert_eq!(
        json_rows(&analytics, "SELECT total, status FROM fact_orders").await,
        [r#"{"status":"CONFIRMED","total":31.5}"#]
    );
    assert_eq!(scalar_i64(&analytics, "SELECT count(*) FROM cdc_parse_errors").await, 1);
    let want = [
        vec![
            r#"{"revenue":10.5,"title":"Two","units_sold":1}"#.to_owned(),
            r#"{"revenue":21.0,"title":"One","units_sold":2}"#.to_owned(),
        ],
        vec![r#"{"order_count":1,"status":"CONFIRMED","total_revenue":31.5}"#.to_owned()],
        vec![
            r#"{"reserved":0,"stock_quantity":1,"stock_status":"Low","title":"One"}"#.to_owned(),
            r#"{"reserved":0,"stock_quantity":2,"stock_status":"Low","title":"Two"}"#.to_owned(),
        ],
    ];
    let refreshed = eventually(Duration::from_secs(20), || async { views(&analytics).await == want }).await;
    assert!(refreshed, "views: {:?}", views(&analytics).await);
    materializer.shutdown().await;

    // While it is down: the order is cancelled, a second order arrives, book 2's stock runs out.
    producer.send("orders", &json!({"id": order}), Some(&order_event(order, "CANCELLED", "31.50", 40))).await;
    let second = "20000000-0000-0000-0000-000000000002";
    producer.send("orders", &json!({"id": second}), Some(&order_event(second, "CONFIRMED", "10.50", 41))).await;
    let (key, event) = item(3, second, 2, 1, 41);
    producer.send("order_items", &key, Some(&event)).await;
    let stock = json!({"before": null, "op": "u", "source": source("inventory", 42), "after": {
        "book_id": seed_book(2), "quantity": 0, "reserved": 0, "updated_at": 1_764_237_700_000_000i64}});
    producer.send("inventory", &json!({"book_id": seed_book(2)}), Some(&stock)).await;
    records += 4;

    let materializer = Materializer::start(config(&dbs, &broker.bootstrap, "tansu-e2e")).await.unwrap();
    let resumed = eventually(Duration::from_secs(90), || async { stored_offsets(&analytics).await == records }).await;
    assert!(resumed, "{:?}\nbroker log:\n{}", materializer.status().snapshot(), broker.log());
    assert_eq!(
        json_rows(&analytics, "SELECT order_id, status FROM fact_orders").await,
        [
            format!(r#"{{"order_id":"{order}","status":"CANCELLED"}}"#),
            format!(r#"{{"order_id":"{second}","status":"CONFIRMED"}}"#)
        ]
    );
    assert_eq!(
        scalar_i64(&analytics, "SELECT count(*) FROM cdc_parse_errors").await,
        1,
        "the records before the stored offsets were not read again"
    );
    let want = [
        vec![r#"{"revenue":10.5,"title":"Two","units_sold":1}"#.to_owned()],
        vec![
            r#"{"order_count":1,"status":"CANCELLED","total_revenue":31.5}"#.to_owned(),
            r#"{"order_count":1,"status":"CONFIRMED","total_revenue":10.5}"#.to_owned(),
        ],
        vec![
            r#"{"reserved":0,"stock_quantity":0,"stock_status":"Critical","title":"Two"}"#.to_owned(),
            r#"{"reserved":0,"stock_quantity":1,"stock_status":"Low","title":"One"}"#.to_owned(),
        ],
    ];
    let refreshed = eventually(Duration::from_secs(20), || async { views(&analytics).await == want }).await;
    assert!(refreshed, "views after the restart: {:?}", views(&analytics).await);
    materializer.shutdown().await;
    dbs.drop().await;
}
