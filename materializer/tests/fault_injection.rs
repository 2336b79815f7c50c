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
use common::workload::{self, Rng, write_until};
use common::*;

fn config(dbs: &TestDbs) -> MaterializerConfig {
    let source = SourceConfig::Embedded {
        ecom_url: dbs.ecom.clone(),
        inventory_url: dbs.inventory.clone(),
        slot_prefix: dbs.slot_prefix.clone(),
    };
    let mut config = MaterializerConfig::new(&dbs.analytics, source);
    config.refresh_debounce = Duration::from_millis(100);
    config.restart = RestartPolicy { max_failures: 100, ..RestartPolicy::default() };
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_ten_times_mid_stream_loses_and_duplicates_nothing() {
    let mut dbs = test_dbs().await;
    let (ecom, inventory, analytics) = (pool(&dbs.ecom).await, pool(&dbs.inventory).await, pool(&dbs.analytics).await);
    let seed = workload::seed();
    let (stop, ops) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
    let writer = tokio::spawn(write_until(stop.clone(), ops.clone(), ecom.clone(), inventory.clone(), seed, None));

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

    let context = || format!("after 10 kills (seed {seed})");
    assert_converged(&mut dbs, (&ecom, &inventory, &analytics), Duration::from_secs(60), context).await;

    materializer.shutdown().await;
    dbs.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_stream_restarts_without_stopping_the_others() {
    let dbs = test_dbs().await;
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
