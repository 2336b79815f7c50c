//! The analytics materializer: decodes Debezium change events (from Kafka or from the embedded logical-replication
//! reader), applies them to the analytics star schema exactly once in effect, and refreshes the materialized views.
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
//! The Kafka source, the replication reader and the actor tree arrive with the rest of the CDC issue.

pub mod column;
pub mod envelope;
pub mod error;
mod fields;
pub mod numeric;
pub mod position;
pub mod source;
pub mod temporal;
pub mod topic;
pub mod transaction;

pub use column::{Cell, Column, ColumnSchema, ColumnValue, LogicalType, Row, UNAVAILABLE_VALUE_PLACEHOLDER};
pub use envelope::{ChangeEvent, LogicalMessage, Op, RowChange, Truncate};
pub use error::{DecodeError, Part, ValueError};
pub use position::Position;
pub use source::{Sequence, Snapshot, Source};
pub use temporal::TimeUnit;
pub use topic::{CapturedTable, TopicMap};
pub use transaction::{DataCollectionCount, TransactionBlock, TransactionEvent, TransactionStatus};
