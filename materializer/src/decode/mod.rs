//! Decoding: a Debezium record (key and value bytes, JSON with or without schemas) → [`ChangeEvent`](envelope::ChangeEvent)
//! → a typed change of one analytics table ([`change`]).
//!
//! - [`envelope`]: row changes of every op, tombstones, transaction BEGIN/END, heartbeats, logical messages.
//! - [`column`](mod@column): row images and typed column reads that keep unchanged-TOAST placeholders apart; [`numeric`] and
//!   [`temporal`] decode the values.
//! - [`source_block`] and [`position`]: the event's `source` block and the WAL position that orders events per key.
//! - [`transaction`]: transaction metadata records and blocks.
//! - [`fast_decode`]: the replay's shortcut from a common record's text straight to its table change.
//! - [`error`]: what decoding refuses, with a one-line reason for `cdc_parse_errors`.

pub mod change;
pub mod column;
pub mod envelope;
pub mod error;
pub mod fast_decode;
mod fields;
pub mod numeric;
pub mod position;
pub mod source_block;
pub mod temporal;
pub mod transaction;
