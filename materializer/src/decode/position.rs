//! A comparable WAL position per event, so the sink can drop an event older than the one it already applied for
//! the same key (Debezium delivers at least once, and a replay can re-send old events).
//!
//! PostgreSQL streams transactions in commit order, but a transaction that began earlier may carry change LSNs
//! below those of one committed before it. Debezium's `source.sequence` therefore puts the last commit LSN first:
//! the position is `(last commit LSN, change LSN)` compared lexicographically. A missing commit LSN (snapshot reads,
//! the first transaction streamed after a snapshot, connectors older than `sequence`) counts as 0, which orders
//! snapshot reads before every streamed change, as they are.

use crate::decode::source_block::SourceBlock;

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
    pub fn of(source: &SourceBlock) -> Option<Self> {
        let sequence = source.sequence.unwrap_or_default();
        let lsn = source.lsn.or(sequence.lsn)?;
        Some(Position { commit_lsn: sequence.last_commit_lsn.unwrap_or(0), lsn })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::source_block::Sequence;

    fn source(lsn: Option<u64>, sequence: Option<Sequence>) -> SourceBlock {
        let object = serde_json::json!({}).as_object().cloned().unwrap_or_default();
        SourceBlock { lsn, sequence, ..SourceBlock::from_object(&object).unwrap() }
    }

    #[test]
    fn commit_lsn_is_the_major_component() {
        // A transaction that began first but committed second has lower change LSNs yet is newer.
        let first_commit = source(Some(500), Some(Sequence { last_commit_lsn: Some(100), lsn: Some(500) }));
        let second_commit = source(Some(300), Some(Sequence { last_commit_lsn: Some(600), lsn: Some(300) }));
        assert!(Position::of(&second_commit) > Position::of(&first_commit));
        let later_in_same_tx = source(Some(510), Some(Sequence { last_commit_lsn: Some(100), lsn: Some(510) }));
        assert!(Position::of(&later_in_same_tx) > Position::of(&first_commit));
        assert_eq!(Position::of(&first_commit), Position::of(&first_commit.clone()));
    }

    #[test]
    fn without_sequence_or_lsn() {
        assert_eq!(Position::of(&source(Some(7), None)), Some(Position { commit_lsn: 0, lsn: 7 }));
        let only_sequence = source(None, Some(Sequence { last_commit_lsn: Some(3), lsn: Some(9) }));
        assert_eq!(Position::of(&only_sequence), Some(Position { commit_lsn: 3, lsn: 9 }));
        assert_eq!(Position::of(&source(None, None)), None);
        let snapshot = source(Some(900), Some(Sequence { last_commit_lsn: None, lsn: Some(900) }));
        let streamed = source(Some(50), Some(Sequence { last_commit_lsn: Some(40), lsn: Some(50) }));
        assert!(Position::of(&snapshot) < Position::of(&streamed));
    }
}
