//! The analytics materializer: decodes Debezium change events (from Kafka or from the embedded logical-replication
//! reader), applies them to the analytics star schema exactly once in effect; the views follow in the same
//! transactions (ADR 006).
//!
//! It replaces upstream's Flink SQL jobs. This first part is the decoding layer the sink builds on:
//!
//! - [`envelope`]: a Kafka record (key and value bytes) → [`ChangeEvent`] — row changes of every op, tombstones,
//!   transaction BEGIN/END, heartbeats — or a [`DecodeError`] whose one-line reason goes to `cdc_parse_errors`.
//! - [`column`](mod@column): row images and typed column reads (Decimal, Uuid, timestamps, dates, integers, text) that keep
//!   unchanged-TOAST placeholders apart as [`ColumnValue::Unavailable`]; [`numeric`] and [`temporal`] do the
//!   value decoding.
//! - [`source`] and [`position`]: the `source` block and the WAL [`Position`] that orders events per key.
//! - [`transaction`]: transaction metadata records and blocks.
//! - [`topic`]: which topic carries which captured table.
//!
//! On top of it:
//!
//! - [`change`] and [`sink`]: events become keyed upserts/deletes per analytics table, applied in one
//!   transaction per batch together with the source offsets (exactly-once in effect).
//! - [`fast_decode`]: the replay's shortcut from a common record's text straight to its table change, declining to
//!   the generic decoder for anything else.
//! - [`sources`]: the Kafka consumer and the embedded pgoutput reader, behind [`sources::ChangeSource`].
//! - [`actors`]: the supervised tree (sources, one stream per table, the view refresher).
//! - [`events`]: order events (the outbox) for the API's live streams, from the embedded reader or from Kafka.
//! - [`Materializer`] / [`run`], [`replay()`], [`reconcile()`], [`view()`], [`freshness()`] and [`status`]: what the
//!   `bookstore` binary calls.

pub mod actors;
pub mod change;
pub mod column;
pub mod envelope;
pub mod error;
pub mod events;
pub mod fast_decode;
mod fields;
pub mod materializer;
pub mod numeric;
pub mod pool;
pub mod position;
pub mod reconcile;
pub mod replay;
pub mod sink;
pub mod source;
pub mod sources;
pub mod status;
pub mod temporal;
pub mod topic;
pub mod transaction;
pub mod views;

pub use column::{Cell, Column, ColumnSchema, ColumnValue, LogicalType, Row, UNAVAILABLE_VALUE_PLACEHOLDER};
pub use envelope::{ChangeEvent, LogicalMessage, Op, RowChange, Truncate};
pub use error::{DecodeError, Part, ValueError};
pub use materializer::{Materializer, MaterializerConfig, SourceConfig, run};
pub use position::Position;
pub use reconcile::{ReconcileReport, TableReconciliation, reconcile};
pub use replay::{ReplaySummary, replay};
pub use source::{Sequence, Snapshot, Source};
pub use status::{ComponentState, ComponentStatus, Status, StatusHandle};
pub use temporal::TimeUnit;
pub use topic::{CapturedTable, TopicMap};
pub use transaction::{DataCollectionCount, TransactionBlock, TransactionEvent, TransactionStatus};
pub use views::{Freshness, VIEWS, ViewData, ViewError, freshness, view};
