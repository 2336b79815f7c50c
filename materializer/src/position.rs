//! A comparable WAL position per event, so the sink can drop an event older than the one it already applied for
//! the same key (Debezium delivers at least once, and a replay can re-send old events).
//!
//! PostgreSQL streams transactions in commit order, but a transaction that began earlier may carry change LSNs
//! below those of one committed before it. Debezium's `source.sequence` therefore puts the last commit LSN first:
//! the position is `(last commit LSN, change LSN)` compared lexicographically. A missing commit LSN (snapshot reads,
//! the first transaction streamed after a snapshot, connectors older than `sequence`) counts as 0, which orders
//! snapshot reads before every streamed change, as they are.

use crate::source::Source;

/// Where an event sits in its source's WAL; larger is newer. Equal positions are the same change delivered again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// LSN of the last transaction committed before this change's transaction (0 when unknown).
    pub commit_lsn: u64,
    /// LSN of the change itself.
    pub lsn: u64,
}

impl Position {
    /// The position of an event with this `source` block, if it carries an LSN.
    pub fn of(source: &Source) -> Option<Self> {
        let sequence = source.sequence.unwrap_or_default();
        let lsn = source.lsn.or(sequence.lsn)?;
        Some(Position {
            commit_lsn: sequence.last_commit_lsn.unwrap_or(0),
            lsn,
        })
    }
}
