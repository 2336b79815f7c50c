//! Where change events come from, behind one trait so the actor tree does not care: Debezium topics in Kafka
//! ([`kafka`]) or the embedded pgoutput reader on the source databases ([`replication`]).
//!
//! A source hands out batches already split per captured table, each with the offsets the table reaches when the
//! batch commits. It is told when every table has committed a batch ([`ChangeSource::committed`]) so it can
//! acknowledge upstream, and when a table stream that had failed is back ([`ChangeSource::rewind`]) so it can
//! deliver that table's changes again from the table's stored position. Resuming always starts from the positions
//! stored in analytics, never from what the upstream system remembers.

pub mod kafka;
pub mod pgoutput;
pub mod replication;
pub mod topic;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use crate::decode::envelope::ChangeEvent;
use crate::decode::error::DecodeError;
use crate::sink::{ParseFailure, Sink, TableBatch};
use crate::sources::topic::CapturedTable;

/// One poll's worth of changes, per table, and what to acknowledge once all of them committed.
#[derive(Debug)]
pub struct Polled<A> {
    pub tables: BTreeMap<CapturedTable, TableBatch>,
    pub ack: Option<A>,
}

impl<A> Default for Polled<A> {
    fn default() -> Self {
        Polled { tables: BTreeMap::new(), ack: None }
    }
}

/// A stream of change events with positions, resumable from the positions stored in analytics.
pub trait ChangeSource: Send + 'static {
    /// Acknowledgement token of a batch.
    type Ack: Send + 'static;

    /// A short name for logs, metrics and actor names.
    fn label(&self) -> String;

    /// The captured tables this source feeds.
    fn tables(&self) -> Vec<CapturedTable>;

    /// Connects and positions the source at the offsets stored in analytics.
    fn start(&mut self, sink: &Sink) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Waits briefly for changes; an empty batch means nothing arrived. Changes of tables in `paused` are dropped
    /// (they are delivered again by [`rewind`](Self::rewind)).
    fn poll(
        &mut self,
        paused: &BTreeSet<CapturedTable>,
    ) -> impl Future<Output = anyhow::Result<Polled<Self::Ack>>> + Send;

    /// Every table not in `paused` committed the batch that carried `ack`.
    fn committed(
        &mut self,
        ack: Self::Ack,
        paused: &BTreeSet<CapturedTable>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// `table`'s stream is back: deliver its changes again from its stored offsets.
    fn rewind(&mut self, table: CapturedTable, sink: &Sink) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// The raw form of a record, kept for `cdc_parse_errors` when it cannot be decoded.
#[derive(Debug, Clone, Default)]
pub struct RawRecord {
    pub source: String,
    pub position: String,
    pub key: Option<String>,
    pub payload: Option<String>,
}

impl RawRecord {
    pub fn new(source: &str, position: String, key: Option<String>, payload: &serde_json::Value) -> Self {
        RawRecord { source: source.to_owned(), position, key, payload: Some(payload.to_string()) }
    }
}

/// Routes one decoded (or undecodable) record into its table's batch; a record that cannot become a table change
/// goes to the batch's parse failures with its raw form. `raw` is only called then: copying every record's key and
/// payload for the rare failure was a measurable part of decoding.
pub(crate) fn route(
    batch: &mut TableBatch,
    table: CapturedTable,
    decoded: Result<ChangeEvent, DecodeError>,
    raw: impl FnOnce() -> RawRecord,
) {
    match decoded.and_then(|event| crate::decode::change::TableChange::from_event(table, &event)) {
        Ok(change) => batch.changes.push(change),
        Err(err) => {
            let raw = raw();
            metrics::counter!("materializer_parse_errors_total", "table" => table.table_name()).increment(1);
            tracing::warn!(table = table.table_name(), position = %raw.position, reason = %err, "undecodable change record");
            batch.failures.push(ParseFailure {
                source: raw.source,
                position: raw.position,
                reason: err.to_string(),
                raw_key: raw.key,
                raw_payload: raw.payload,
            });
        }
    }
}
