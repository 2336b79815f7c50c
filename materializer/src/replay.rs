//! `bookstore replay FILE`: feeds a topic dump through the same decoder and sink as the live Kafka source.
//!
//! The dump is JSON Lines as `kcat -C -J` writes them: `topic`, `partition`, `offset`, `key` and `payload`, key
//! and payload as strings (null for a tombstone). Records are applied in batches per table with their offsets, so
//! a replay is idempotent (per-key positions) and a later live consumer continues after what it applied. Lines
//! that are not records, or topics that are not captured, are counted and skipped, never fatal.

use std::collections::BTreeMap;
use std::path::Path;

use sea_orm::sqlx;
use serde::{Deserialize, Serialize};
use std::io::BufRead as _;

use crate::decode::envelope::ChangeEvent;
use crate::decode::fast_decode;
use crate::sink::{Offset, ParseFailure, Sink, TableBatch};
use crate::sources::topic::{CapturedTable, TopicMap};
use crate::sources::{RawRecord, route};

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
/// Reading and decoding run on their own threads, one chunk ahead of the database: while chunk N is written,
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
    // One connection per captured table at most: a chunk's tables are written side by side.
    let pool = crate::pg::options(CapturedTable::ALL.len() as u32).connect(analytics_url).await?;
    let defer = records_estimate(file, total)? >= history_rows(&pool).await?;
    let sink = if defer {
        crate::sink::views::defer_summaries(&pool).await?;
        Sink::new(pool.clone()).deferring_summaries().bulk_loading().await?
    } else {
        Sink::new(pool.clone())
    };
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
    if defer || crate::sink::views::summaries_stale(&pool).await? {
        crate::sink::views::rebuild_views(&pool).await?;
        summary.summaries_rebuilt = true;
    }
    crate::sink::views::refresh_views(&pool).await?;
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

/// How many orders and order lines the analytics history holds, read from the summaries (a few rows, no scan;
/// cancelled orders' lines are not counted, which only makes deferring a little more likely).
async fn history_rows(pool: &sqlx::PgPool) -> Result<u64, sqlx::Error> {
    let rows: i64 = sqlx::query_scalar(
        "SELECT (SELECT coalesce(sum(order_count), 0) FROM agg_orders_by_status)::int8 \
              + (SELECT coalesce(sum(lines), 0) FROM agg_sales_by_book)::int8",
    )
    .fetch_one(pool)
    .await?;
    Ok(rows.max(0) as u64)
}

/// One chunk of the file, decoded and split per table.
#[doc(hidden)]
#[derive(Debug, Default, PartialEq)]
pub struct Decoded {
    pub batches: BTreeMap<CapturedTable, TableBatch>,
    pub records: u64,
    pub skipped: u64,
    /// Bytes of the file read up to the end of this chunk.
    pub read: u64,
}

impl Decoded {
    /// Appends `later`, decoded from the lines after this chunk's: per table, its changes come after these.
    fn append(&mut self, later: Decoded) {
        self.records += later.records;
        self.skipped += later.skipped;
        for (table, batch) in later.batches {
            let mine = self.batches.entry(table).or_default();
            mine.changes.extend(batch.changes);
            mine.failures.extend(batch.failures);
            mine.offsets.extend(batch.offsets);
        }
    }
}

/// Reads `file` in chunks of [`BATCH`] records and decodes each chunk's two halves on two threads (decoding is
/// most of a replay's own CPU); sends the chunks in file order and stops early if the receiver is gone.
fn decode_file(file: &Path, topics: &TopicMap, tx: &tokio::sync::mpsc::Sender<Decoded>) -> anyhow::Result<()> {
    let mut reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
    let (mut read, mut line_no) = (0u64, 0u64);
    loop {
        let mut lines: Vec<(u64, String)> = Vec::with_capacity(BATCH);
        let mut end = false;
        while lines.len() < BATCH {
            let mut line = String::new();
            let n = reader.read_line(&mut line)?;
            if n == 0 {
                end = true;
                break;
            }
            read += n as u64;
            line_no += 1;
            let kept = line.trim_end_matches(['\n', '\r']).len();
            line.truncate(kept);
            if !line.trim().is_empty() {
                lines.push((line_no, line));
            }
        }
        let (first, second) = lines.split_at(lines.len() / 2);
        let (mut chunk, rest) = std::thread::scope(|scope| {
            let rest = scope.spawn(|| decode_lines(file, topics, second, Decoder::Fast));
            (decode_lines(file, topics, first, Decoder::Fast), rest.join())
        });
        chunk.append(rest.map_err(|_| anyhow::anyhow!("a decoding thread panicked"))?);
        chunk.read = read;
        if tx.blocking_send(chunk).is_err() || end {
            return Ok(());
        }
    }
}

/// How [`decode_lines`] decodes the records of captured tables.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoder {
    /// [`fast_decode`] first, the generic decoder for the records it declines: what a replay uses.
    Fast,
    /// The generic decoder only: the reference the fast path is tested and measured against.
    Generic,
}

/// Decodes `lines` (numbered, line breaks stripped) into per-table batches, in order.
#[doc(hidden)]
pub fn decode_lines(file: &Path, topics: &TopicMap, lines: &[(u64, String)], decoder: Decoder) -> Decoded {
    let mut decoded = Decoded { records: lines.len() as u64, ..Decoded::default() };
    for (line_no, line) in lines {
        match serde_json::from_str::<KcatRecord>(line) {
            Err(err) => {
                // Not attributable to a table: stored with the books stream's batch, which every replay flushes.
                let failure = ParseFailure {
                    source: file.display().to_string(),
                    position: format!("line {line_no}"),
                    reason: format!("not a kcat -J record: {err}"),
                    raw_key: None,
                    raw_payload: Some(line.clone()),
                };
                decoded.batches.entry(CapturedTable::Books).or_default().failures.push(failure);
            }
            Ok(KcatRecord { topic, partition, offset, key, payload }) => match topics.table(&topic) {
                Err(_) => decoded.skipped += 1,
                Ok(table) => {
                    let batch = decoded.batches.entry(table).or_default();
                    let fast = match decoder {
                        Decoder::Fast => fast_decode::table_change(&topic, table, key.as_deref(), payload.as_deref()),
                        Decoder::Generic => None,
                    };
                    match fast {
                        Some(change) => batch.changes.push(change),
                        None => {
                            let event = ChangeEvent::from_kafka(
                                &topic,
                                key.as_deref().map(str::as_bytes),
                                payload.as_deref().map(str::as_bytes),
                            );
                            // Built only if the record is stored as a parse failure.
                            let raw = || RawRecord {
                                source: topic.clone(),
                                position: format!("{topic}/{partition}/{offset}"),
                                key,
                                payload,
                            };
                            route(batch, table, event, raw);
                        }
                    }
                    batch.offsets.push(Offset { source: topic, partition, position: offset + 1 });
                }
            },
        }
    }
    decoded
}
