//! Cost-growth benchmark probe (`bench/analytics.sh`): replays a Debezium dump into an analytics database in small
//! chunks, as the live materializer applies small batches, each chunk ending with the views brought up to date;
//! prints the wall time per event as one line. Run once over a database with little history and once over one
//! with much, the two numbers show how the per-event cost grows with history.
//!
//! Usage: `cost_probe ANALYTICS_URL DUMP [records_per_chunk]`.

use std::io::{BufRead as _, Write as _};
use std::time::{Duration, Instant};

use bookstore_materializer::TopicMap;

#[allow(clippy::print_stdout)] // the measurement is the output
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(url), Some(dump)) = (args.get(1), args.get(2)) else {
        anyhow::bail!("usage: cost_probe ANALYTICS_URL DUMP [records_per_chunk]");
    };
    let chunk: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(150);
    let lines: Vec<String> = std::io::BufReader::new(std::fs::File::open(dump)?).lines().collect::<Result<_, _>>()?;
    let dir = tempfile::tempdir()?;
    let mut files = Vec::new();
    for (n, part) in lines.chunks(chunk).enumerate() {
        let path = dir.path().join(format!("{n:05}.jsonl"));
        let mut file = std::fs::File::create(&path)?;
        for line in part {
            writeln!(file, "{line}")?;
        }
        files.push(path);
    }
    let topics = TopicMap::new("ecom-connector", "inventory-connector");
    let mut spent = Duration::ZERO;
    let mut records = 0u64;
    for file in &files {
        let started = Instant::now();
        records += bookstore_materializer::replay(file, url, &topics, |_, _| {}).await?.records;
        spent += started.elapsed();
    }
    println!(
        "{records} events in {} chunks of {chunk}: {:.1} s, {:.3} ms/event",
        files.len(),
        spent.as_secs_f64(),
        spent.as_secs_f64() * 1000.0 / records as f64
    );
    Ok(())
}
