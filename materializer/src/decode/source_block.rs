//! The `source` block: where in PostgreSQL a change came from and where it sits in the WAL.
//!
//! Covers the block from Debezium 0.8 (`ts_usec`, boolean `snapshot`, no `connector`) to 3.x (`sequence`,
//! `ts_us`, `ts_ns`, the `snapshot` string enum). `sequence` is a JSON *string* holding an array
//! `["<lastCommitLsn>", "<lsn>"]` whose entries may be null; it is parsed here because ordering depends on it.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::decode::error::{DecodeError, json_type, preview};
use crate::decode::fields::{Object, opt_i64, opt_str, opt_u64, present};

/// Whether an event was read by a snapshot, and where in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Snapshot {
    /// Streamed from the WAL (`"false"`, legacy `false`, or absent).
    False,
    /// A snapshot read (`"true"`, legacy `true`).
    True,
    First,
    FirstInDataCollection,
    LastInDataCollection,
    /// The last record of the initial snapshot.
    Last,
    /// An incremental (signal-driven) snapshot chunk.
    Incremental,
    /// A value this decoder does not know, kept as sent.
    Other(String),
}

impl Snapshot {
    fn from_json(value: Option<&Value>) -> Result<Self, DecodeError> {
        Ok(match value {
            None | Some(Value::Bool(false)) => Snapshot::False,
            Some(Value::Bool(true)) => Snapshot::True,
            Some(Value::String(text)) => match text.as_str() {
                "false" => Snapshot::False,
                "true" => Snapshot::True,
                "first" => Snapshot::First,
                "first_in_data_collection" => Snapshot::FirstInDataCollection,
                "last_in_data_collection" => Snapshot::LastInDataCollection,
                "last" => Snapshot::Last,
                "incremental" => Snapshot::Incremental,
                other => Snapshot::Other(other.to_owned()),
            },
            Some(other) => {
                return Err(DecodeError::WrongType {
                    field: "source.snapshot".to_owned(),
                    expected: "a string or boolean",
                    found: json_type(other),
                });
            }
        })
    }

    /// True for every snapshot read, false for streamed changes.
    pub fn is_snapshot(&self) -> bool {
        !matches!(self, Snapshot::False)
    }
}

/// `source.sequence`: the LSN of the last committed transaction and the LSN of this change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sequence {
    pub last_commit_lsn: Option<u64>,
    pub lsn: Option<u64>,
}

impl Sequence {
    /// Parses the JSON text `["34442256","34466480"]` (entries are decimal strings, numbers or null).
    pub fn parse(text: &str) -> Result<Self, DecodeError> {
        let invalid = |reason: &str| DecodeError::InvalidSequence { value: preview(text), reason: reason.to_owned() };
        let parsed: Value = serde_json::from_str(text).map_err(|err| invalid(&err.to_string()))?;
        let entries = parsed.as_array().ok_or_else(|| invalid("not a JSON array"))?;
        let lsn_at = |index: usize| -> Result<Option<u64>, DecodeError> {
            match entries.get(index) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(lsn)) => lsn.parse().map(Some).map_err(|_| invalid("entry is not an LSN")),
                Some(Value::Number(lsn)) => lsn.as_u64().map(Some).ok_or_else(|| invalid("entry is not an LSN")),
                Some(_) => Err(invalid("entry is not an LSN")),
            }
        };
        if entries.len() != 2 {
            return Err(invalid("expected two entries"));
        }
        Ok(Sequence { last_commit_lsn: lsn_at(0)?, lsn: lsn_at(1)? })
    }
}

/// The `source` block of a change event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceBlock {
    pub version: Option<String>,
    pub connector: Option<String>,
    /// The logical server name (`topic.prefix`).
    pub name: Option<String>,
    pub ts_ms: Option<i64>,
    pub ts_us: Option<i64>,
    pub ts_ns: Option<i64>,
    /// Debezium 0.8's commit time (its magnitude shows nanoseconds in captured 0.8 events).
    pub ts_usec: Option<i64>,
    pub snapshot: Snapshot,
    pub db: Option<String>,
    pub schema: Option<String>,
    pub table: Option<String>,
    pub tx_id: Option<i64>,
    pub lsn: Option<u64>,
    pub sequence: Option<Sequence>,
    pub xmin: Option<i64>,
}

impl SourceBlock {
    pub(crate) fn from_object(source: &Object) -> Result<Self, DecodeError> {
        let text = |field: &str| -> Result<Option<String>, DecodeError> {
            Ok(opt_str(source, field, &format!("source.{field}"))?.map(str::to_owned))
        };
        let int = |field: &str| opt_i64(source, field, &format!("source.{field}"));
        let sequence = opt_str(source, "sequence", "source.sequence")?.map(Sequence::parse).transpose()?;
        Ok(SourceBlock {
            version: text("version")?,
            connector: text("connector")?,
            name: text("name")?,
            ts_ms: int("ts_ms")?,
            ts_us: int("ts_us")?,
            ts_ns: int("ts_ns")?,
            ts_usec: int("ts_usec")?,
            snapshot: Snapshot::from_json(present(source, "snapshot"))?,
            db: text("db")?,
            schema: text("schema")?,
            table: text("table")?,
            tx_id: int("txId")?,
            lsn: opt_u64(source, "lsn", "source.lsn")?,
            sequence,
            xmin: int("xmin")?,
        })
    }

    /// When the change was committed in the source database, from the most precise field present.
    pub fn commit_time(&self) -> Option<DateTime<Utc>> {
        commit_time(self.ts_ns, self.ts_us, self.ts_ms, self.ts_usec)
    }

    /// `schema.table`, when both are known and non-empty (logical messages have empty ones).
    pub fn qualified_table(&self) -> Option<String> {
        match (self.schema.as_deref(), self.table.as_deref()) {
            (Some(schema), Some(table)) if !schema.is_empty() && !table.is_empty() => Some(format!("{schema}.{table}")),
            _ => None,
        }
    }
}

/// [`SourceBlock::commit_time`] from the block's `ts_ns`, `ts_us`, `ts_ms` and `ts_usec`.
pub(crate) fn commit_time(
    ts_ns: Option<i64>,
    ts_us: Option<i64>,
    ts_ms: Option<i64>,
    ts_usec: Option<i64>,
) -> Option<DateTime<Utc>> {
    if let Some(ns) = ts_ns {
        return Some(DateTime::from_timestamp_nanos(ns));
    }
    if let Some(us) = ts_us {
        return DateTime::from_timestamp_micros(us);
    }
    if let Some(ms) = ts_ms {
        return DateTime::from_timestamp_millis(ms);
    }
    // 0.8 named the field microseconds; values above 10^17 (year 5138 as µs) are nanoseconds.
    let legacy = ts_usec?;
    if legacy.unsigned_abs() >= 100_000_000_000_000_000 {
        Some(DateTime::from_timestamp_nanos(legacy))
    } else {
        DateTime::from_timestamp_micros(legacy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sequences() {
        let parsed = Sequence::parse(r#"["34442256","34466480"]"#).unwrap();
        assert_eq!(parsed, Sequence { last_commit_lsn: Some(34442256), lsn: Some(34466480) });
        assert_eq!(Sequence::parse(r#"[null,"1"]"#).unwrap(), Sequence { last_commit_lsn: None, lsn: Some(1) });
        assert_eq!(Sequence::parse("[5,6]").unwrap(), Sequence { last_commit_lsn: Some(5), lsn: Some(6) });
        for bad in ["", "[", "{}", r#"["1"]"#, r#"["1","2","3"]"#, r#"["x","2"]"#, r#"["-1","2"]"#, "[1.5,2]", "[[],2]"]
        {
            let err = Sequence::parse(bad).unwrap_err();
            assert!(matches!(err, DecodeError::InvalidSequence { .. }), "{bad}: {err:?}");
            assert!(!err.to_string().contains('\n'));
        }
    }

    #[test]
    fn wrong_field_types_are_named() {
        let source = json!({"lsn": "34466480"});
        let err = SourceBlock::from_object(source.as_object().unwrap()).unwrap_err();
        assert_eq!(err.to_string(), r#"field "source.lsn" should be an unsigned 64-bit integer but is a string"#);
        let source = json!({"snapshot": 1});
        let err = SourceBlock::from_object(source.as_object().unwrap()).unwrap_err();
        assert_eq!(err.to_string(), r#"field "source.snapshot" should be a string or boolean but is a number"#);
        let source = json!({"sequence": ["1", "2"]});
        assert!(matches!(SourceBlock::from_object(source.as_object().unwrap()), Err(DecodeError::WrongType { .. })));
    }

    #[test]
    fn snapshot_values() {
        let snapshot = |value: Value| Snapshot::from_json(Some(&value)).unwrap();
        assert_eq!(snapshot(json!("incremental")), Snapshot::Incremental);
        assert_eq!(snapshot(json!("first_in_data_collection")), Snapshot::FirstInDataCollection);
        assert_eq!(snapshot(json!("something_new")), Snapshot::Other("something_new".to_owned()));
        assert_eq!(snapshot(json!(true)), Snapshot::True);
        assert_eq!(Snapshot::from_json(None).unwrap(), Snapshot::False);
    }

    #[test]
    fn legacy_microseconds() {
        let source = json!({"ts_usec": 1536580521883194i64});
        let source = SourceBlock::from_object(source.as_object().unwrap()).unwrap();
        assert_eq!(source.commit_time(), "2018-09-10T11:55:21.883194Z".parse().ok());
    }
}
