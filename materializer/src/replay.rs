//! `bookstore replay FILE`: feeds a topic dump through the same decoder and sink as the live Kafka source.
//!
//! The dump is JSON Lines as `kcat -C -J` writes them: `topic`, `partition`, `offset`, `key` and `payload`, key
//! and payload as strings (null for a tombstone). Records are applied in batches per table with their offsets, so
//! a replay is idempotent (per-key positions) and a later live consumer continues after what it applied. Lines
//! that are not records, or topics that are not captured, are counted and skipped, never fatal.

use std::collections::BTreeMap;
use std::path::Path;

use sea_orm::sqlx::postgres::PgPoolOptions;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader};

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
}

/// Replays `file` into the analytics database; `progress(bytes_read, total_bytes)` is called after each batch.
pub async fn replay(
    file: &Path,
    analytics_url: &str,
    topics: &TopicMap,
    progress: impl Fn(u64, u64),
) -> anyhow::Result<ReplaySummary> {
    let total = tokio::fs::metadata(file).await?.len();
    let pool = PgPoolOptions::new().max_connections(2).connect(analytics_url).await?;
    let sink = Sink::new(pool);
    let mut lines = BufReader::new(tokio::fs::File::open(file).await?).lines();
    let mut summary = ReplaySummary::default();
    let mut batches: BTreeMap<CapturedTable, TableBatch> = BTreeMap::new();
    let (mut read, mut pending, mut line_no) = (0u64, 0usize, 0u64);
    while let Some(line) = lines.next_line().await? {
        read += line.len() as u64 + 1;
        line_no += 1;
        if line.trim().is_empty() {
            continue;
        }
        summary.records += 1;
        pending += 1;
        match serde_json::from_str::<KcatRecord>(&line) {
            Err(err) => {
                // Not attributable to a table: stored with the books stream's batch, which every replay flushes.
                let failure = ParseFailure {
                    source: file.display().to_string(),
                    position: format!("line {line_no}"),
                    reason: format!("not a kcat -J record: {err}"),
                    raw_key: None,
                    raw_payload: Some(line.clone()),
                };
                batches.entry(CapturedTable::Books).or_default().failures.push(failure);
            }
            Ok(record) => match topics.table(&record.topic) {
                Err(_) => summary.skipped += 1,
                Ok(table) => {
                    let batch = batches.entry(table).or_default();
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
        if pending >= BATCH {
            flush(&sink, &mut batches, &mut summary).await?;
            pending = 0;
            progress(read, total);
        }
    }
    flush(&sink, &mut batches, &mut summary).await?;
    crate::views::refresh_views(sink.pool()).await?;
    progress(total, total);
    Ok(summary)
}

async fn flush(
    sink: &Sink,
    batches: &mut BTreeMap<CapturedTable, TableBatch>,
    summary: &mut ReplaySummary,
) -> anyhow::Result<()> {
    for (table, batch) in std::mem::take(batches) {
        let applied = sink.apply(table, &batch).await?;
        summary.upserts += applied.upserts;
        summary.deletes += applied.deletes;
        summary.parse_errors += applied.failures;
    }
    Ok(())
}
