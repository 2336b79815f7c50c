//! A real Kafka-protocol broker for the tests: tansu (a Kafka-compatible broker in Rust), started on a free port with in-memory storage and
//! the Debezium topics created. The materializer's Kafka tests and the API's kill tests (a separate process must
//! reach the broker, which MockCluster cannot offer) include this file.
//!
//! The binary comes from `BOOKSTORE_TANSU_BIN`, else `$BOOKSTORE_CACHE/tansu/bin/tansu` (`BOOKSTORE_CACHE` defaults to
//! `/var/cache/bookstore`; `.ci/run` installs it there). A missing binary fails the test with the command that installs it: never a silent skip.
#![allow(dead_code)]

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where `.ci/run` installs the broker (outside the clone, so later runs reuse it).
pub fn default_tansu_bin() -> PathBuf {
    let cache = std::env::var_os("BOOKSTORE_CACHE").unwrap_or_else(|| "/var/cache/bookstore".into());
    PathBuf::from(cache).join("tansu/bin/tansu")
}

/// The upstream Debezium topic names.
pub const TOPICS: [&str; 4] = [
    "ecom-connector.public.books",
    "ecom-connector.public.orders",
    "ecom-connector.public.order_items",
    "inventory-connector.public.inventory",
];

pub fn tansu_bin() -> PathBuf {
    let bin = std::env::var_os("BOOKSTORE_TANSU_BIN").map_or_else(default_tansu_bin, PathBuf::from);
    assert!(
        bin.is_file(),
        "the tansu Kafka broker is not at {} (set BOOKSTORE_TANSU_BIN, or install it: cargo install tansu --version \
         0.6.0 --no-default-features --features dynostore --locked --root $BOOKSTORE_CACHE/tansu; .ci/run does)",
        bin.display()
    );
    bin
}

/// A running broker, killed when dropped.
pub struct Tansu {
    child: Child,
    pub bootstrap: String,
    log: tempfile::NamedTempFile,
}

impl Tansu {
    /// Starts a broker on a free port and creates [`TOPICS`] with `partitions` partitions each.
    pub fn start(partitions: u32) -> Tansu {
        let bin = tansu_bin();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("tcp://127.0.0.1:{port}");
        let log = tempfile::NamedTempFile::new().unwrap();
        let child = Command::new(&bin)
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url])
            .args(["--storage-engine", "memory://tansu/"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.reopen().unwrap())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let mut tansu = Tansu { child, bootstrap: format!("127.0.0.1:{port}"), log };
        let started = Instant::now();
        while TcpStream::connect(&tansu.bootstrap).is_err() {
            assert!(tansu.child.try_wait().unwrap().is_none(), "tansu exited at start: {}", tansu.log());
            assert!(started.elapsed() < Duration::from_secs(30), "tansu did not listen within 30 s: {}", tansu.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        for topic in TOPICS {
            tansu.create_topic(topic, partitions);
        }
        tansu
    }

    /// Creates one more topic.
    pub fn create_topic(&self, topic: &str, partitions: u32) {
        let url = format!("tcp://{}", self.bootstrap);
        let output = Command::new(tansu_bin())
            .args(["topic", "create", "--broker", &url, topic, "--partitions", &partitions.to_string()])
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "creating {topic}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// What the broker logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
