//! The Kafka source against rdkafka's in-process MockCluster: Debezium-shaped records on the upstream topic names
//! (with and without schemas, precise-bytes, string and double decimals, micro and zoned timestamps) reach the star
//! schema; deletes and tombstones, TOAST placeholders, a replayed older event and an undecodable record behave;
//! the consumer resumes from the offsets stored in analytics, not from the group's; and abrupt kills while records
//! keep arriving leave exactly the final state.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use bookstore_materializer::Materializer;
use common::records::*;
use common::*;
use rdkafka::mocking::MockCluster;
use serde_json::json;

fn mock_cluster() -> MockCluster<'static, rdkafka::producer::DefaultProducerContext> {
    let cluster = MockCluster::new(1).unwrap();
    for table in ["books", "orders", "order_items", "inventory"] {
        cluster.create_topic(&topic(table), 2, 1).unwrap();
    }
    cluster
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_source_over_mock_cluster() {
    let dbs = test_dbs().await;
    let analytics = pool(&dbs.analytics).await;
    // The analytics template starts empty: every row below comes from Kafka.
    let cluster = mock_cluster();
    let bootstrap = cluster.bootstrap_servers();
    let producer = Producer::new(&bootstrap);

    for (n, title, cents) in [(1, "One", 4999), (2, "Two", 1050), (3, "Three", 2500)] {
        producer
            .send(
                "books",
                &json!({"id": seed_book(n)}),
                Some(&book_event("c", None, Some(book(n, title, cents)), 10 + n as u64)),
            )
            .await;
    }
    // A price change, a TOAST placeholder for an unchanged title, a delete with its tombstone, and a replay of the
    // first create (older position, later offset) that must not undo the price change.
    producer
        .send("books", &json!({"id": seed_book(1)}), Some(&book_event("u", None, Some(book(1, "One", 999)), 20)))
        .await;
    producer
        .send(
            "books",
            &json!({"id": seed_book(2)}),
            Some(&book_event("u", None, Some(book(2, "__debezium_unavailable_value", 1100)), 21)),
        )
        .await;
    producer
        .send("books", &json!({"id": seed_book(3)}), Some(&book_event("d", Some(book(3, "Three", 2500)), None, 22)))
        .await;
    producer.send("books", &json!({"id": seed_book(3)}), None).await;
    producer
        .send("books", &json!({"id": seed_book(1)}), Some(&book_event("c", None, Some(book(1, "One", 4999)), 11)))
        .await;
    let order = "20000000-0000-0000-0000-000000000001";
    producer.send("orders", &json!({"id": order}), Some(&order_event(order, "CONFIRMED", "60.49", 31))).await;
    producer.send_raw("orders", r#"{"id": "x"}"#, "{not json").await;
    for (i, book_no, qty) in [(1u32, 1u32, 2), (2, 2, 1)] {
        let item = json!({"before": null, "op": "c", "source": source("order_items", 31), "after": {
            "id": format!("30000000-0000-0000-0000-00000000000{i}"), "order_id": order, "book_id": seed_book(book_no),
            "quantity": qty, "price_at_purchase": 10.5}});
        producer
            .send("order_items", &json!({"id": format!("30000000-0000-0000-0000-00000000000{i}")}), Some(&item))
            .await;
    }
    for n in 1..=2u32 {
        let stock = json!({"before": null, "op": "r", "source": source("inventory", 5), "after": {
            "book_id": seed_book(n), "quantity": 40 + n, "reserved": 1, "updated_at": 1_764_237_600_000_000i64}});
        producer.send("inventory", &json!({"book_id": seed_book(n)}), Some(&stock)).await;
    }

    let materializer = Materializer::start(config(&dbs, &bootstrap, "analytics-a")).await.unwrap();
    let arrived = eventually(Duration::from_secs(30), || async {
        scalar_i64(&analytics, "SELECT count(*) FROM fact_order_items").await == 2
            && scalar_i64(&analytics, "SELECT count(*) FROM fact_inventory").await == 2
            && scalar_i64(&analytics, "SELECT count(*) FROM dim_books").await == 2
            && scalar_i64(&analytics, "SELECT count(*) FROM cdc_parse_errors").await == 1
    })
    .await;
    assert!(arrived, "{:?}", materializer.status().snapshot());
    let books = json_rows(&analytics, "SELECT title, price FROM dim_books").await;
    assert_eq!(books, [r#"{"price":11.0,"title":"Two"}"#, r#"{"price":9.99,"title":"One"}"#]);
    let error = json_rows(&analytics, "SELECT source, raw_payload FROM cdc_parse_errors").await;
    assert_eq!(error, [r#"{"raw_payload":"{not json","source":"ecom-connector.public.orders"}"#]);
    assert_eq!(
        json_rows(&analytics, "SELECT total, status FROM fact_orders").await,
        [r#"{"status":"CONFIRMED","total":60.49}"#]
    );
    let stored =
        scalar_i64(&analytics, "SELECT sum(position)::int8 FROM materializer_offsets WHERE source LIKE '%.books'");
    assert_eq!(stored.await, 8, "next offsets of the books partitions cover all 8 records");
    let views = eventually(Duration::from_secs(10), || async {
        scalar_i64(&analytics, "SELECT count(*) FROM vw_product_sales_volume").await == 2
    });
    assert!(views.await, "views refreshed");
    materializer.shutdown().await;

    // Forget the orders in analytics, offsets included: a restart in the same group must read them again, which it
    // only does if it assigns at the stored offsets rather than the group's committed ones.
    exec(&analytics, "DELETE FROM fact_orders; DELETE FROM materializer_offsets WHERE source LIKE '%.orders'").await;
    let materializer = Materializer::start(config(&dbs, &bootstrap, "analytics-a")).await.unwrap();
    let reread = eventually(Duration::from_secs(30), || async {
        scalar_i64(&analytics, "SELECT count(*) FROM fact_orders").await == 1
    });
    assert!(reread.await, "orders read again from the stored (deleted) offsets");
    assert_eq!(scalar_i64(&analytics, "SELECT count(*) FROM dim_books").await, 2, "books not applied twice");
    materializer.shutdown().await;
    dbs.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_source_killed_repeatedly_ends_in_the_final_state() {
    let dbs = test_dbs().await;
    let analytics = pool(&dbs.analytics).await;
    let cluster = mock_cluster();
    let bootstrap = cluster.bootstrap_servers();
    let producer = Producer::new(&bootstrap);
    let statuses = ["CONFIRMED", "SHIPPED", "DELIVERED", "CANCELLED"];
    let mut expected: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut lsn = 100u64;
    for round in 0..6u64 {
        let materializer = Materializer::start(config(&dbs, &bootstrap, "analytics-kill")).await.unwrap();
        for i in 0..60u64 {
            let id = format!("40000000-0000-0000-0000-{:012}", (round * 60 + i) % 97);
            lsn += 1;
            let status = statuses[(lsn % 4) as usize];
            let total = format!("{}.{:02}", lsn % 90, lsn % 100);
            producer.send("orders", &json!({"id": id}), Some(&order_event(&id, status, &total, lsn))).await;
            expected.insert(id, (status.to_owned(), total));
            if i % 20 == 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(100 + round * 70)).await;
        materializer.kill().await;
    }
    let materializer = Materializer::start(config(&dbs, &bootstrap, "analytics-kill")).await.unwrap();
    let want: Vec<String> = {
        let mut rows: Vec<String> = expected
            .iter()
            .map(|(id, (status, total))| {
                let total: f64 = total.parse().unwrap();
                json!({"order_id": id, "status": status, "total": total}).to_string()
            })
            .collect();
        rows.sort();
        rows
    };
    let done = eventually(Duration::from_secs(60), || async {
        json_rows(&analytics, "SELECT order_id, status, total FROM fact_orders").await == want
    })
    .await;
    assert!(
        done,
        "final state after 6 kills: {:?}",
        json_rows(&analytics, "SELECT order_id, status, total FROM fact_orders").await.len()
    );
    materializer.shutdown().await;
    dbs.drop().await;
}
