//! The embedded source end to end against real PostgreSQL: SQL writes in ecom and inventory reach the star schema
//! and the views through the pgoutput reader and the actor tree — inserts, updates (a price change, stock set, an
//! order cancelled) and deletes — and the views equal their definitions computed over the source tables.

mod common;

use std::time::Duration;

use bookstore_materializer::{Materializer, MaterializerConfig, SourceConfig};
use common::*;

fn config(dbs: &TestDbs) -> MaterializerConfig {
    let source = SourceConfig::Embedded {
        ecom_url: dbs.ecom.clone(),
        inventory_url: dbs.inventory.clone(),
        slot_prefix: dbs.slot_prefix.clone(),
    };
    let mut config = MaterializerConfig::new(&dbs.analytics, source);
    config.refresh_debounce = Duration::from_millis(100);
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_source_end_to_end_with_deletes_and_price_change() {
    let mut dbs = test_dbs().await;
    let (ecom, inventory, analytics) = (pool(&dbs.ecom).await, pool(&dbs.inventory).await, pool(&dbs.analytics).await);
    // A change committed before the materializer ever ran arrives through the initial snapshot.
    exec(&ecom, &format!("UPDATE books SET genre = 'Classics' WHERE id = '{}'", seed_book(2))).await;
    let materializer = Materializer::start(config(&dbs)).await.unwrap();

    let snapshot = eventually(Duration::from_secs(30), || async {
        scalar_i64(&analytics, "SELECT count(*) FROM dim_books").await == 10
            && scalar_i64(&analytics, "SELECT count(*) FROM fact_inventory").await == 10
    })
    .await;
    assert!(snapshot, "snapshot reached analytics: {:?}", materializer.status().snapshot());
    assert_eq!(scalar_i64(&analytics, "SELECT count(*) FROM dim_books WHERE genre = 'Classics'").await, 1);

    let first = place_order(&ecom, "user1", &[(1, 2), (3, 1)]).await;
    let second = place_order(&ecom, "user2", &[(1, 1)]).await;
    exec(&ecom, &format!("UPDATE orders SET status = 'CANCELLED' WHERE id = '{second}'")).await;
    exec(&ecom, &format!("UPDATE books SET price = 9.50 WHERE id = '{}'", seed_book(4))).await;
    exec(&inventory, &format!("UPDATE inventory SET quantity = 2 WHERE book_id = '{}'", seed_book(5))).await;
    // A new book with stock, then deleted again (books with orders cannot be deleted).
    exec(
        &ecom,
        "INSERT INTO books (id, title, author, price, isbn, genre) \
         VALUES ('10000000-0000-0000-0000-000000000001', 'Ephemeral', 'Nobody', 12.00, '978-0000000001', 'Tmp')",
    )
    .await;
    exec(&inventory, "INSERT INTO inventory (book_id, quantity) VALUES ('10000000-0000-0000-0000-000000000001', 7)")
        .await;
    exec(&ecom, &format!("DELETE FROM books WHERE id = '{}'", seed_book(10))).await;
    exec(&inventory, &format!("DELETE FROM inventory WHERE book_id = '{}'", seed_book(10))).await;
    exec(&ecom, "DELETE FROM books WHERE id = '10000000-0000-0000-0000-000000000001'").await;

    let caught_up = eventually(Duration::from_secs(30), || async {
        differing_tables(&analytics, &ecom, &inventory).await.is_empty()
    })
    .await;
    assert!(caught_up, "analytics follows the sources");
    assert_eq!(scalar_i64(&analytics, "SELECT count(*) FROM dim_books").await, 9);
    assert_eq!(
        scalar_i64(&analytics, &format!("SELECT count(*) FROM fact_orders WHERE order_id = '{first}'")).await,
        1
    );
    assert_eq!(scalar_i64(&analytics, "SELECT count(*) FROM cdc_deleted_keys WHERE table_name = 'dim_books'").await, 2);

    // The views follow after the debounced refresh, and equal their definitions over the sources.
    let expected_url = dbs.extra_analytics("expected").await;
    let expected = pool(&expected_url).await;
    load_directly(&ecom, &inventory, &expected).await;
    let views_follow =
        eventually(Duration::from_secs(20), || async { differing_views(&analytics, &expected).await.is_empty() }).await;
    assert!(views_follow, "views equal their definitions over the sources");
    let sold = json_rows(&analytics, "SELECT title, units_sold FROM vw_product_sales_volume").await;
    assert_eq!(
        sold,
        [
            r#"{"title":"Designing Data-Intensive Applications","units_sold":1}"#,
            r#"{"title":"The Pragmatic Programmer","units_sold":2}"#
        ]
    );
    let cheap = "SELECT book_count FROM vw_book_price_distribution WHERE price_range = 'Under $10'";
    assert_eq!(scalar_i64(&analytics, cheap).await, 1);
    let low =
        format!("SELECT count(*) FROM vw_inventory_health WHERE book_id = '{}' AND stock_status = 'Low'", seed_book(5));
    assert_eq!(scalar_i64(&analytics, &low).await, 1);

    // The slot is never confirmed beyond what analytics committed.
    let confirmed = scalar_i64(
        &ecom,
        &format!(
            "SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::int8 FROM pg_replication_slots WHERE slot_name = '{}_ecom'",
            dbs.slot_prefix
        ),
    )
    .await;
    // The slot covers books, orders and order_items: its confirmed position may pass one table's stored
    // position (the last transactions touched other tables) but never the newest position analytics stored.
    let stored = scalar_i64(
        &analytics,
        &format!(
            "SELECT max(position) FROM materializer_offsets WHERE source LIKE 'replication:{}_ecom:%'",
            dbs.slot_prefix
        ),
    )
    .await;
    assert!(confirmed <= stored, "slot confirmed {confirmed} beyond stored {stored}");
    assert!(materializer.status().snapshot().is_healthy(), "{:?}", materializer.status().snapshot());

    materializer.shutdown().await;
    dbs.drop().await;
}
