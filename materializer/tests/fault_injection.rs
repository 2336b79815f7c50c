//! Exactly-once in effect under crashes, on the embedded source: while a writer keeps placing orders, cancelling
//! and deleting some, changing prices and stock, the materializer's actor tree is killed abruptly at random
//! points ten times and started again. Afterwards analytics holds exactly the source rows (no row missing, none
//! duplicated, none stale) and the views equal their definitions over the sources. A second test breaks one
//! analytics table: its stream restarts with backoff while the other tables keep flowing, then catches up.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bookstore_materializer::actors::RestartPolicy;
use bookstore_materializer::{Materializer, MaterializerConfig, SourceConfig};
use common::*;
use sea_orm::sqlx::PgPool;

fn config(dbs: &TestDbs) -> MaterializerConfig {
    let source = SourceConfig::Embedded {
        ecom_url: dbs.ecom.clone(),
        inventory_url: dbs.inventory.clone(),
        slot_prefix: dbs.slot_prefix.clone(),
    };
    let mut config = MaterializerConfig::new(&dbs.analytics, source);
    config.refresh_debounce = Duration::from_millis(100);
    config.restart = RestartPolicy { max_restarts: 100, ..RestartPolicy::default() };
    config
}

/// A small xorshift generator: reproducible from the printed seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// Keeps changing both source databases until `stop`; counts operations.
async fn write_until(stop: Arc<AtomicBool>, ops: Arc<AtomicU64>, ecom: PgPool, inventory: PgPool, seed: u64) {
    let mut rng = Rng(seed | 1);
    let mut orders: Vec<String> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let n = ops.fetch_add(1, Ordering::SeqCst);
        let book = |rng: &mut Rng| 1 + rng.next(9) as u32;
        let lines = [(book(&mut rng), 1 + rng.next(3) as i32), (book(&mut rng), 1)];
        orders.push(place_order(&ecom, &format!("user{}", rng.next(5)), &lines).await);
        if n.is_multiple_of(3) && !orders.is_empty() {
            let order = &orders[rng.next(orders.len() as u64) as usize];
            let status = ["SHIPPED", "CANCELLED", "DELIVERED"][rng.next(3) as usize];
            exec(&ecom, &format!("UPDATE orders SET status = '{status}' WHERE id = '{order}'")).await;
        }
        if n.is_multiple_of(4) {
            let sql = format!(
                "UPDATE inventory SET quantity = quantity + {} WHERE book_id = '{}'",
                rng.next(5),
                seed_book(book(&mut rng))
            );
            exec(&inventory, &sql).await;
        }
        if n.is_multiple_of(7) {
            let cents = 500 + rng.next(6000);
            let sql = format!("UPDATE books SET price = {cents} / 100.0 WHERE id = '{}'", seed_book(book(&mut rng)));
            exec(&ecom, &sql).await;
        }
        if n.is_multiple_of(11) && orders.len() > 1 {
            let order = orders.swap_remove(rng.next(orders.len() as u64) as usize);
            exec(&ecom, &format!("DELETE FROM orders WHERE id = '{order}'")).await;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_ten_times_mid_stream_loses_and_duplicates_nothing() {
    let mut dbs = TestDbs::new().await;
    let (ecom, inventory, analytics) = (pool(&dbs.ecom).await, pool(&dbs.inventory).await, pool(&dbs.analytics).await);
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    eprintln!("seed {seed}");
    let (stop, ops) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
    let writer = tokio::spawn(write_until(stop.clone(), ops.clone(), ecom.clone(), inventory.clone(), seed));

    let mut rng = Rng(seed.rotate_left(17) | 1);
    for round in 0..10 {
        let materializer = Materializer::start(config(&dbs)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(150 + rng.next(900))).await;
        materializer.kill().await;
        eprintln!("round {round}: killed after {} writer operations", ops.load(Ordering::SeqCst));
    }
    let materializer = Materializer::start(config(&dbs)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    assert!(ops.load(Ordering::SeqCst) > 50, "the writer kept writing");

    let caught_up = eventually(Duration::from_secs(60), || async {
        differing_tables(&analytics, &ecom, &inventory).await.is_empty()
    })
    .await;
    assert!(caught_up, "analytics equals the sources after 10 kills (seed {seed})");
    let orders = scalar_i64(&ecom, "SELECT count(*) FROM orders").await;
    assert_eq!(scalar_i64(&analytics, "SELECT count(*) FROM fact_orders").await, orders);
    assert_eq!(scalar_i64(&analytics, "SELECT count(*) FROM cdc_parse_errors").await, 0);

    let expected_url = dbs.scratch_analytics().await;
    let expected = pool(&expected_url).await;
    load_directly(&ecom, &inventory, &expected).await;
    let views =
        eventually(Duration::from_secs(20), || async { differing_views(&analytics, &expected).await.is_empty() }).await;
    assert!(views, "0 view rows differ (seed {seed})");

    materializer.shutdown().await;
    dbs.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_stream_restarts_without_stopping_the_others() {
    let dbs = TestDbs::new().await;
    let (ecom, inventory, analytics) = (pool(&dbs.ecom).await, pool(&dbs.inventory).await, pool(&dbs.analytics).await);
    let materializer = Materializer::start(config(&dbs)).await.unwrap();
    let snapshot = eventually(Duration::from_secs(30), || async {
        scalar_i64(&analytics, "SELECT count(*) FROM fact_inventory").await == 10
    })
    .await;
    assert!(snapshot);

    // Every write to fact_inventory now fails.
    exec(
        &analytics,
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$; \
         CREATE TRIGGER refuse BEFORE INSERT OR UPDATE OR DELETE ON fact_inventory FOR EACH ROW EXECUTE FUNCTION refuse()",
    )
    .await;
    exec(&inventory, &format!("UPDATE inventory SET quantity = 3 WHERE book_id = '{}'", seed_book(1))).await;
    let order = place_order(&ecom, "user1", &[(2, 1)]).await;
    let orders_flow = eventually(Duration::from_secs(20), || async {
        scalar_i64(&analytics, &format!("SELECT count(*) FROM fact_orders WHERE order_id = '{order}'")).await == 1
    })
    .await;
    assert!(orders_flow, "orders keep flowing while fact_inventory fails");
    let restarted = eventually(Duration::from_secs(20), || async {
        materializer.status().snapshot().components.get("stream:fact_inventory").is_some_and(|c| c.restarts >= 1)
    })
    .await;
    assert!(restarted, "{:?}", materializer.status().snapshot());
    let stale = format!("SELECT quantity::int8 FROM fact_inventory WHERE book_id = '{}'", seed_book(1));
    assert_eq!(scalar_i64(&analytics, &stale).await, 50);

    exec(&analytics, "DROP TRIGGER refuse ON fact_inventory").await;
    let healed = eventually(Duration::from_secs(30), || async {
        differing_tables(&analytics, &ecom, &inventory).await.is_empty()
    })
    .await;
    assert!(healed, "the stream caught up after the fault went away");
    assert!(materializer.status().snapshot().running);

    materializer.shutdown().await;
    dbs.drop().await;
}
