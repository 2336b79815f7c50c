//! The analytics materializer: decodes Debezium change events (from Kafka or from the embedded logical-replication
//! reader), applies them to the analytics star schema exactly once in effect; the views follow in the same
//! transactions (ADR 006). It replaces upstream's Flink SQL jobs.
//!
//! - [`decode`]: a Debezium record → [`ChangeEvent`] → a typed change of one analytics table ([`decode::change`]),
//!   or a [`DecodeError`] whose one-line reason goes to `cdc_parse_errors`; the fast path for common records
//!   ([`decode::fast_decode`]); the `source` block ([`SourceBlock`]) and the WAL [`Position`] that orders events per
//!   key.
//! - [`sources`]: where change events come from, behind [`sources::ChangeSource`]: the Kafka consumer of Debezium's
//!   topics, or the embedded pgoutput reader; and which topic carries which captured table ([`sources::topic`]).
//! - [`sink`]: batches become keyed upserts/deletes per analytics table, applied in one transaction together with
//!   the source offsets (exactly-once in effect); the views and their freshness ([`sink::views`]).
//! - [`actors`]: the supervised tree (one actor per source, one stream per table, the view refresher).
//! - [`events`]: order events (the outbox) for the API's live streams, from the embedded reader or from Kafka.
//! - [`Materializer`] / [`run`], [`replay()`], [`reconcile()`], [`view()`], [`freshness()`] and [`status`]: what the
//!   `bookstore` binary calls.
//!
//! Three words that sound alike: a **source** is where change events come from (Kafka, the replication reader);
//! the **source block** is the `source` field of a Debezium event (database, table, LSN, commit time); the
//! **source actor** drives a source in the tree.

pub mod actors;
pub mod decode;
pub mod events;
pub mod materializer;
mod pg;
pub mod reconcile;
pub mod replay;
pub mod sink;
pub mod sources;
pub mod status;

pub use decode::column::{Cell, Column, ColumnSchema, ColumnValue, LogicalType, Row, UNAVAILABLE_VALUE_PLACEHOLDER};
pub use decode::envelope::{ChangeEvent, LogicalMessage, Op, RowChange, Truncate};
pub use decode::error::{DecodeError, Part, ValueError};
pub use decode::position::Position;
pub use decode::source_block::{Sequence, Snapshot, SourceBlock};
pub use decode::temporal::TimeUnit;
pub use decode::transaction::{DataCollectionCount, TransactionBlock, TransactionEvent, TransactionStatus};
pub use materializer::{Materializer, MaterializerConfig, SourceConfig, run};
pub use reconcile::{ReconcileReport, TableReconciliation, reconcile};
pub use replay::{ReplaySummary, replay};
pub use sink::views::{Freshness, VIEWS, ViewData, ViewError, freshness, view};
pub use sources::topic::{CapturedTable, TopicMap};
pub use status::{ComponentState, ComponentStatus, Status, StatusHandle};
