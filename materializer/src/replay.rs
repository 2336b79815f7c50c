//! `bookstore replay FILE`: feeds a topic dump through the same decoder and sink as the live Kafka source.
//!
//! The dump is JSON Lines as `kcat -C -J` writes them: `topic`, `partition`, `offset`, `key` and `payload`, key
//! and payload as strings (null for a tombstone). Records are applied in batches per table with their offsets, so
//! a replay is idempotent (per-key positions) and a later live consumer continues after what it applied. Lines
//! that are not records, or topics that are not captured, are counted and skipped, never fatal.

use std::collections::BTreeMap;
use std::path::Path;

use sea_orm::sqlx::{self, postgres::PgPoolOptions};
use serde::{Deserialize, Serialize};
use std::io::BufRead as _;

use crate::envelope::ChangeEvent;
use crate::sink::{Offset, ParseFailure, Sink, TableBatch};
use crate::sources::{RawRecord, route};
use crate::topic::{CapturedTable, TopicMap};

/// Records applied per transaction.
const BATCH: usize = 5000;

#[derive(Debug, Deserialize)]
struct KcatRecord {
    topic: String,
    partition: i32,
    offset: i64,
    key: Option<String>,
    payload: Option<String>,
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplaySummary {
    pub records: u64,
    pub upserts: u64,
    pub deletes: u64,
    /// Records stored in `cdc_parse_errors` (undecodable lines included).
    pub parse_errors: u64,
    /// Records of topics that carry no captured table.
    pub skipped: u64,
    /// Whether the summaries behind the views were rebuilt at the end (a bulk load, or one left stale before)
    /// rather than kept current batch by batch.
    pub summaries_rebuilt: bool,
}

/// Replays `file` into the analytics database; `progress(bytes_read, total_bytes)` is called after each batch.
///
/// A dump at least as large as the facts already held is a bulk load: the summaries behind the views are marked
/// stale, each batch skips their deltas, and one `agg_rebuild()` at the end recomputes them (ADR 006, "Bulk
/// loads"), which costs less than a delta per batch. A smaller dump applies deltas as the live materializer does.
///
/// Reading and decoding run on their own thread, one chunk ahead of the database: while chunk N is written,
/// chunk N+1 is decoded. A chunk's tables are written side by side, each table's batch in its own transaction with
/// its offsets, as the live materializer's stream actors do; a table's batches still commit in file order, and
/// the next chunk starts when the whole chunk has committed.
pub async fn replay(
    file: &Path,
    analytics_url: &str,
    topics: &TopicMap,
    progress: impl Fn(u64, u64),
) -> anyhow::Result<ReplaySummary> {
    let total = tokio::fs::metadata(file).await?.len();
    let admin = PgPoolOptions::new().max_connections(1).connect(analytics_url).await?;
    let defer = records_estimate(file, total)? >= fact_rows_estimate(&admin).await?;
    if defer {
        crate::views::defer_summaries(&admin).await?;
    }
    // One connection per captured table: a chunk's tables are written side by side. A deferring load's sessions
    // skip the summary deltas (the triggers still check the stale mark set above).
    let pool = PgPoolOptions::new()
        .max_connections(CapturedTable::ALL.len() as u32)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if defer {
                    sqlx::query("SET bookstore.defer_summaries = on").execute(conn).await?;
                }
                Ok(())
            })
        })
        .connect(analytics_url)
        .await?;
    let sink = Sink::new(pool);
    // One decoded batch waiting while another is written: bounded, so memory stays at about two batches.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Decoded>(1);
    let reader = {
        let (file, topics) = (file.to_path_buf(), topics.clone());
        tokio::task::spawn_blocking(move || decode_file(&file, &topics, &tx))
    };
    let mut summary = ReplaySummary::default();
    while let Some(decoded) = rx.recv().await {
        summary.records += decoded.records;
        summary.skipped += decoded.skipped;
        let mut writes = tokio::task::JoinSet::new();
        for (table, batch) in decoded.batches {
            let sink = sink.clone();
            writes.spawn(async move { sink.apply(table, &batch).await });
        }
        while let Some(applied) = writes.join_next().await {
            let applied = applied??;
            summary.upserts += applied.upserts;
            summary.deletes += applied.deletes;
            summary.parse_errors += applied.failures;
        }
        progress(decoded.read, total);
    }
    // The channel closed: the reader finished, or failed (an I/O error) and its error is reported here.
    reader.await??;
    // Rebuilt after a deferring load, and after one that died half-way before this replay (the mark is still set).
    if defer || crate::views::summaries_stale(&admin).await? {
        crate::views::rebuild_views(&admin).await?;
        summary.summaries_rebuilt = true;
    }
    crate::views::refresh_views(&admin).await?;
    progress(total, total);
    Ok(summary)
}

/// How many records `file` (of `total` bytes) holds, from the lines in its first MiB.
fn records_estimate(file: &Path, total: u64) -> std::io::Result<u64> {
    use std::io::Read as _;
    let mut head = Vec::with_capacity(1 << 20);
    std::fs::File::open(file)?.take(1 << 20).read_to_end(&mut head)?;
    let lines = head.iter().filter(|&&b| b == b'\n').count().max(1) as u64;
    Ok(total * lines / head.len().max(1) as u64)
}

/// About how many rows the summarised fact tables hold (the planner's estimate: no scan of the history).
async fn fact_rows_estimate(pool: &sqlx::PgPool) -> Result<u64, sqlx::Error> {
    let rows: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(greatest(reltuples, 0)), 0)::int8 FROM pg_class \
         WHERE oid IN ('fact_orders'::regclass, 'fact_order_items'::regclass)",
    )
    .fetch_one(pool)
    .await?;
    Ok(rows.max(0) as u64)
}

/// One batch of the file, decoded and split per table.
struct Decoded {
    batches: BTreeMap<CapturedTable, TableBatch>,
    records: u64,
    skipped: u64,
    /// Bytes of the file read up to the end of this batch.
    read: u64,
}

/// Reads and decodes `file`, sending a batch every [`BATCH`] records; stops early if the receiver is gone.
fn decode_file(file: &Path, topics: &TopicMap, tx: &tokio::sync::mpsc::Sender<Decoded>) -> anyhow::Result<()> {
    let mut lines = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
    let empty = |read| Decoded { batches: BTreeMap::new(), records: 0, skipped: 0, read };
    let mut current = empty(0);
    let (mut read, mut line_no) = (0u64, 0u64);
    let mut line = String::new();
    loop {
        line.clear();
        let n = lines.read_line(&mut line)?;
        if n == 0 {
            break;
        }
        read += n as u64;
        line_no += 1;
        let line = line.strip_suffix('\n').unwrap_or(&line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        current.records += 1;
        match serde_json::from_str::<KcatRecord>(line) {
            Err(err) => {
                // Not attributable to a table: stored with the books stream's batch, which every replay flushes.
                let failure = ParseFailure {
                    source: file.display().to_string(),
                    position: format!("line {line_no}"),
                    reason: format!("not a kcat -J record: {err}"),
                    raw_key: None,
                    raw_payload: Some(line.to_owned()),
                };
                current.batches.entry(CapturedTable::Books).or_default().failures.push(failure);
            }
            Ok(record) => match topics.table(&record.topic) {
                Err(_) => current.skipped += 1,
                Ok(table) => {
                    let batch = current.batches.entry(table).or_default();
                    let event = ChangeEvent::from_kafka(
                        &record.topic,
                        record.key.as_deref().map(str::as_bytes),
                        record.payload.as_deref().map(str::as_bytes),
                    );
                    let raw = RawRecord {
                        source: record.topic.clone(),
                        position: format!("{}/{}/{}", record.topic, record.partition, record.offset),
                        key: record.key,
                        payload: record.payload,
                    };
                    route(batch, table, event, raw);
                    batch.offsets.push(Offset {
                        source: record.topic,
                        partition: record.partition,
                        position: record.offset + 1,
                    });
                }
            },
        }
        if current.records >= BATCH as u64 {
            current.read = read;
            if tx.blocking_send(std::mem::replace(&mut current, empty(read))).is_err() {
                return Ok(());
            }
        }
    }
    current.read = read;
    let _ = tx.blocking_send(current);
    Ok(())
}
