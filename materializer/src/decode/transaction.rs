//! Transaction metadata (`provide.transaction.metadata=true`): BEGIN/END records on `<prefix>.transaction`, and
//! the `transaction` block a change event carries to say which transaction it belongs to.
//!
//! For PostgreSQL a transaction id is `"<txId>:<LSN>"`; BEGIN and END of one transaction may differ in the LSN part,
//! so both parts are exposed and the sink should match them on `tx_id`.

use serde_json::Value;

use crate::decode::error::{DecodeError, json_type, preview};
use crate::decode::fields::{Object, opt_i64, opt_str, opt_u64, required};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStatus {
    Begin,
    End,
}

/// One data collection's share of a finished transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataCollectionCount {
    /// `schema.table`.
    pub data_collection: String,
    pub event_count: u64,
}

/// A BEGIN or END record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionEvent {
    pub status: TransactionStatus,
    /// The id as sent (`"571:53195829"`).
    pub id: String,
    /// The PostgreSQL transaction id, the part before `:`.
    pub tx_id: Option<i64>,
    /// The LSN, the part after `:`.
    pub lsn: Option<u64>,
    pub ts_ms: Option<i64>,
    /// Events in the transaction (END only).
    pub event_count: Option<u64>,
    /// Per-table counts (END only; empty for BEGIN).
    pub data_collections: Vec<DataCollectionCount>,
}

impl TransactionEvent {
    pub(crate) fn from_object(record: &Object) -> Result<Self, DecodeError> {
        let status = match required(opt_str(record, "status", "status")?, "status")? {
            "BEGIN" => TransactionStatus::Begin,
            "END" => TransactionStatus::End,
            other => return Err(DecodeError::UnknownTransactionStatus(preview(other))),
        };
        let id = required(opt_str(record, "id", "id")?, "id")?.to_owned();
        let (tx_id, lsn) = split_id(&id);
        let data_collections = match record.get("data_collections") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    let item = item.as_object().ok_or_else(|| DecodeError::WrongType {
                        field: "data_collections[]".to_owned(),
                        expected: "an object",
                        found: json_type(item),
                    })?;
                    let name = "data_collections[].data_collection";
                    Ok(DataCollectionCount {
                        data_collection: required(opt_str(item, "data_collection", name)?, name)?.to_owned(),
                        event_count: opt_u64(item, "event_count", "data_collections[].event_count")?.unwrap_or(0),
                    })
                })
                .collect::<Result<_, DecodeError>>()?,
            Some(other) => {
                return Err(DecodeError::WrongType {
                    field: "data_collections".to_owned(),
                    expected: "an array",
                    found: json_type(other),
                });
            }
        };
        Ok(TransactionEvent {
            status,
            id,
            tx_id,
            lsn,
            ts_ms: opt_i64(record, "ts_ms", "ts_ms")?,
            event_count: opt_u64(record, "event_count", "event_count")?,
            data_collections,
        })
    }
}

fn split_id(id: &str) -> (Option<i64>, Option<u64>) {
    match id.split_once(':') {
        Some((tx, lsn)) => (tx.parse().ok(), lsn.parse().ok()),
        None => (id.parse().ok(), None),
    }
}

/// The `transaction` block of a change event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionBlock {
    pub id: String,
    /// Position of the event among all events of the transaction (1-based).
    pub total_order: Option<u64>,
    /// Position of the event among the transaction's events for the same table (1-based).
    pub data_collection_order: Option<u64>,
}

impl TransactionBlock {
    pub(crate) fn from_object(block: &Object) -> Result<Self, DecodeError> {
        Ok(TransactionBlock {
            id: required(opt_str(block, "id", "transaction.id")?, "transaction.id")?.to_owned(),
            total_order: opt_u64(block, "total_order", "transaction.total_order")?,
            data_collection_order: opt_u64(block, "data_collection_order", "transaction.data_collection_order")?,
        })
    }
}
