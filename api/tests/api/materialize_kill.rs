//! Exactly-once in effect under real crashes: the `bookstore materialize` process is killed with SIGKILL at random
//! points (delays drawn from a printed seed) ten times while a writer keeps placing, cancelling and deleting orders
//! and changing prices and stock; then it is started once more. Afterwards every star-schema row equals its source
//! row (none missing, none duplicated, none stale) and the ten views equal the same view definitions computed over
//! the source rows, loaded directly into a second analytics database.
//!
//! Both sources: the embedded logical-replication reader, and Kafka. For Kafka the broker is a real tansu process
//! (rdkafka's MockCluster lives inside one process, and the process under test is another one), and the writer
//! plays Debezium: after each source transaction it publishes the changed rows as Debezium envelopes on the
//! upstream topic names. Every restart joins a fresh consumer group: a SIGKILLed member stays in its group until
//! its session times out, and tansu hands partitions to a new member only after ~15–20 s, which ten restarts in
//! two minutes cannot afford. Where to read from never comes from the group anyway: the materializer assigns at the
//! offsets stored in analytics, which is what this test checks.
//!
//! The database helpers, the tansu launcher and the writer are the materializer tests' own (`common`).

#[path = "../../../materializer/tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use common::workload::{self, Debezium, Rng, write_until};
use common::*;

const BIN: &str = env!("CARGO_BIN_EXE_bookstore");
const KILLS: usize = 10;

enum Source {
    Embedded,
    Kafka { broker: tansu::Tansu },
}

/// `bookstore materialize` as a child process on the test's databases, appending its output to `log`.
fn materialize(dbs: &TestDbs, source: &Source, round: usize, log: &Path) -> Child {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("materialize")
        .env("ECOM_DATABASE_URL", &dbs.ecom)
        .env("INVENTORY_DATABASE_URL", &dbs.inventory)
        .env("ANALYTICS_DATABASE_URL", &dbs.analytics)
        .env("BOOKSTORE_HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("BOOKSTORE_REPLICATION_SLOT_PREFIX", &dbs.slot_prefix)
        .env("RUST_LOG", "warn")
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    if let Source::Kafka { broker } = source {
        cmd.env("KAFKA_BOOTSTRAP_SERVERS", &broker.bootstrap)
            .env("BOOKSTORE_MATERIALIZER_GROUP", format!("{}_{round}", dbs.slot_prefix));
    }
    cmd.spawn().expect("bookstore materialize starts")
}

/// Kills `bookstore materialize` ten times at random points while the writer runs, starts it again, and checks
/// that analytics equals the sources, table by table and view by view.
async fn killed_ten_times(source: Source) {
    let mut dbs = test_dbs().await;
    let (ecom, inventory, analytics) = (pool(&dbs.ecom).await, pool(&dbs.inventory).await, pool(&dbs.analytics).await);
    let seed = workload::seed();
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("materialize.log");
    let kafka = match &source {
        Source::Kafka { broker } => Some(Debezium::new(&broker.bootstrap)),
        Source::Embedded => None,
    };
    let (stop, ops) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(0)));
    let writer = tokio::spawn(write_until(stop.clone(), ops.clone(), ecom.clone(), inventory.clone(), seed, kafka));

    let mut rng = Rng(seed.rotate_left(17) | 1);
    for round in 0..KILLS {
        let mut child = materialize(&dbs, &source, round, &log);
        let delay = Duration::from_millis(300 + rng.next(2700));
        tokio::time::sleep(delay).await;
        assert!(
            child.try_wait().unwrap().is_none(),
            "bookstore materialize exited by itself: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        child.kill().unwrap(); // SIGKILL on Unix: no handler runs, nothing is flushed
        let status = child.wait().unwrap();
        eprintln!(
            "round {round}: killed after {delay:?} ({status}); {} orders in analytics, {} writer operations",
            scalar_i64(&analytics, "SELECT count(*) FROM fact_orders").await,
            ops.load(Ordering::SeqCst)
        );
    }
    let mut child = materialize(&dbs, &source, KILLS, &log);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    assert!(ops.load(Ordering::SeqCst) > 50, "the writer kept writing");

    let output = || std::fs::read_to_string(&log).unwrap_or_default();
    let context = || format!("after {KILLS} kills (seed {seed}); log:\n{}", output());
    assert_converged(&mut dbs, (&ecom, &inventory, &analytics), Duration::from_secs(90), context).await;

    assert!(child.try_wait().unwrap().is_none(), "the last materializer still runs: {}", output());
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGTERM);
    let _ = child.wait();
    for pool in [ecom, inventory, analytics] {
        pool.close().await;
    }
    dbs.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn materialize_embedded_survives_ten_sigkills() {
    killed_ten_times(Source::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn materialize_kafka_survives_ten_sigkills() {
    let broker = tansu::Tansu::start(2);
    killed_ten_times(Source::Kafka { broker }).await;
}
