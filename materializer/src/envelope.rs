//! Kafka records from Debezium's PostgreSQL connector turned into typed change events.
//!
//! One entry point, [`ChangeEvent::from_kafka`], accepts every record the materializer can meet on its topics:
//! JsonConverter output with or without the `{"schema", "payload"}` wrapper, change events of every op
//! (`c u d r t m`), tombstones (null value after a delete), transaction BEGIN/END records and heartbeats. Anything
//! else is a [`DecodeError`] whose one-line reason the sink stores in `cdc_parse_errors`; no input panics.

use base64::Engine as _;
use serde_json::Value;

use crate::column::{ColumnSchema, Row};
use crate::error::{DecodeError, Part, json_type, preview};
use crate::fields::{Object, opt_i64, opt_object, opt_str, present, required};
use crate::position::Position;
use crate::source::Source;
use crate::transaction::{TransactionBlock, TransactionEvent};

/// Topics Debezium writes heartbeats to start with this (`topic.heartbeat.prefix` default).
pub const HEARTBEAT_TOPIC_PREFIX: &str = "__debezium-heartbeat";

/// The `op` of a change event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Create,
    Update,
    Delete,
    /// A snapshot read.
    Read,
    Truncate,
    /// A logical decoding message (`pg_logical_emit_message`).
    Message,
}

impl Op {
    pub fn parse(code: &str) -> Result<Self, DecodeError> {
        Ok(match code {
            "c" => Op::Create,
            "u" => Op::Update,
            "d" => Op::Delete,
            "r" => Op::Read,
            "t" => Op::Truncate,
            "m" => Op::Message,
            other => return Err(DecodeError::UnknownOp(preview(other))),
        })
    }

    /// The one-letter code Debezium uses.
    pub fn code(self) -> &'static str {
        match self {
            Op::Create => "c",
            Op::Update => "u",
            Op::Delete => "d",
            Op::Read => "r",
            Op::Truncate => "t",
            Op::Message => "m",
        }
    }
}

/// An insert, update, delete or snapshot read of one row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowChange {
    pub op: Op,
    /// The record key (primary-key columns), absent for tables without a key.
    pub key: Option<Row>,
    /// The old row: all columns under REPLICA IDENTITY FULL, key columns only (others null) for a delete under
    /// DEFAULT, and absent for an update under DEFAULT.
    pub before: Option<Row>,
    /// The new row; absent for a delete.
    pub after: Option<Row>,
    pub source: Source,
    /// When Debezium processed the event.
    pub ts_ms: Option<i64>,
    pub transaction: Option<TransactionBlock>,
}

/// A TRUNCATE of the table named in `source`.
#[derive(Debug, Clone, PartialEq)]
pub struct Truncate {
    pub source: Source,
    pub ts_ms: Option<i64>,
}

/// A logical decoding message.
#[derive(Debug, Clone, PartialEq)]
pub struct LogicalMessage {
    pub prefix: String,
    pub content: Vec<u8>,
    pub source: Source,
    pub ts_ms: Option<i64>,
}

/// Everything a Debezium topic can deliver.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeEvent {
    Row(RowChange),
    Truncate(Truncate),
    Message(LogicalMessage),
    /// A null value following a delete, for log compaction: the row with this key is gone.
    Tombstone {
        key: Row,
    },
    Transaction(TransactionEvent),
    /// A liveness record (`{"ts_ms": …}`) that carries no data; the sink ignores it.
    Heartbeat {
        ts_ms: Option<i64>,
    },
}

impl ChangeEvent {
    /// Decodes one Kafka record; `key` and `value` are the raw bytes, `None` for a null key or value.
    pub fn from_kafka(
        topic: &str,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> Result<Self, DecodeError> {
        let parse = |bytes: &[u8], part| {
            serde_json::from_slice::<Value>(bytes).map_err(|err| DecodeError::NotJson {
                part,
                reason: err.to_string(),
            })
        };
        let key = key.map(|bytes| parse(bytes, Part::Key)).transpose()?;
        let value = value.map(|bytes| parse(bytes, Part::Value)).transpose()?;
        Self::from_json(topic, key, value)
    }

    /// Decodes a record whose key and value are already JSON (the embedded replication reader's path).
    pub fn from_json(
        topic: &str,
        key: Option<Value>,
        value: Option<Value>,
    ) -> Result<Self, DecodeError> {
        let key = key.map(decode_key).transpose()?.flatten();
        let (payload, schema) = match value {
            Some(value) => unwrap_value(value),
            None => (Value::Null, Value::Null),
        };
        let payload = match payload {
            Value::Null => {
                return key
                    .map(|key| ChangeEvent::Tombstone { key })
                    .ok_or(DecodeError::KeylessTombstone);
            }
            Value::Object(payload) => payload,
            other => {
                return Err(DecodeError::NotAnObject {
                    part: Part::Value,
                    found: json_type(&other),
                });
            }
        };
        if topic.starts_with(HEARTBEAT_TOPIC_PREFIX) || is_heartbeat(&payload) {
            return Ok(ChangeEvent::Heartbeat {
                ts_ms: opt_i64(&payload, "ts_ms", "ts_ms")?,
            });
        }
        if !payload.contains_key("op") && payload.contains_key("status") {
            return TransactionEvent::from_object(&payload).map(ChangeEvent::Transaction);
        }
        decode_envelope(payload, &schema, key)
    }

    /// The event's op, for change events.
    pub fn op(&self) -> Option<Op> {
        match self {
            ChangeEvent::Row(change) => Some(change.op),
            ChangeEvent::Truncate(_) => Some(Op::Truncate),
            ChangeEvent::Message(_) => Some(Op::Message),
            ChangeEvent::Tombstone { .. }
            | ChangeEvent::Transaction(_)
            | ChangeEvent::Heartbeat { .. } => None,
        }
    }

    pub fn source(&self) -> Option<&Source> {
        match self {
            ChangeEvent::Row(change) => Some(&change.source),
            ChangeEvent::Truncate(truncate) => Some(&truncate.source),
            ChangeEvent::Message(message) => Some(&message.source),
            ChangeEvent::Tombstone { .. }
            | ChangeEvent::Transaction(_)
            | ChangeEvent::Heartbeat { .. } => None,
        }
    }

    /// The WAL position used to discard older events for the same key; see [`Position`].
    pub fn position(&self) -> Option<Position> {
        self.source().and_then(Position::of)
    }
}

/// A heartbeat value is exactly `{"ts_ms": …}`.
fn is_heartbeat(payload: &Object) -> bool {
    payload.len() == 1 && payload.contains_key("ts_ms")
}

/// Splits JsonConverter's `{"schema": …, "payload": …}` (schemas.enable=true; some producers omit `schema`).
/// A bare envelope never has a `payload` field, so its presence is unambiguous for values.
fn unwrap_value(value: Value) -> (Value, Value) {
    match value {
        Value::Object(mut wrapper)
            if wrapper.contains_key("payload")
                && wrapper.keys().all(|k| k == "payload" || k == "schema") =>
        {
            let schema = wrapper.remove("schema").unwrap_or(Value::Null);
            (wrapper.remove("payload").unwrap_or(Value::Null), schema)
        }
        other => (other, Value::Null),
    }
}

/// The record key as a row. Keys are only unwrapped when both `schema` and `payload` are present, since a key
/// column could itself be named `payload`.
fn decode_key(key: Value) -> Result<Option<Row>, DecodeError> {
    let (payload, schema) = match key {
        Value::Object(mut wrapper)
            if wrapper.len() == 2
                && wrapper.contains_key("schema")
                && wrapper.contains_key("payload") =>
        {
            let schema = wrapper.remove("schema").unwrap_or(Value::Null);
            (wrapper.remove("payload").unwrap_or(Value::Null), schema)
        }
        other => (other, Value::Null),
    };
    match payload {
        Value::Null => Ok(None),
        Value::Object(object) => Ok(Some(Row::from_object(
            object,
            &ColumnSchema::struct_fields(&schema),
        ))),
        other => Err(DecodeError::NotAnObject {
            part: Part::Key,
            found: json_type(&other),
        }),
    }
}

fn decode_envelope(
    mut payload: Object,
    schema: &Value,
    key: Option<Row>,
) -> Result<ChangeEvent, DecodeError> {
    let op = Op::parse(required(opt_str(&payload, "op", "op")?, "op")?)?;
    let source = Source::from_object(required(
        opt_object(&payload, "source", "source")?,
        "source",
    )?)?;
    let ts_ms = opt_i64(&payload, "ts_ms", "ts_ms")?;
    match op {
        Op::Truncate => Ok(ChangeEvent::Truncate(Truncate { source, ts_ms })),
        Op::Message => decode_message(&payload, source, ts_ms),
        Op::Create | Op::Update | Op::Delete | Op::Read => {
            let before = row_image(&mut payload, schema, "before")?;
            let after = row_image(&mut payload, schema, "after")?;
            match op {
                Op::Delete if before.is_none() && key.is_none() => {
                    return Err(DecodeError::MissingRowImage {
                        op: op.code(),
                        field: "before",
                    });
                }
                Op::Create | Op::Update | Op::Read if after.is_none() => {
                    return Err(DecodeError::MissingRowImage {
                        op: op.code(),
                        field: "after",
                    });
                }
                _ => {}
            }
            let transaction = opt_object(&payload, "transaction", "transaction")?
                .map(TransactionBlock::from_object)
                .transpose()?;
            Ok(ChangeEvent::Row(RowChange {
                op,
                key,
                before,
                after,
                source,
                ts_ms,
                transaction,
            }))
        }
    }
}

/// `before` or `after`, with column schemas from the envelope schema's field of the same name.
fn row_image(
    payload: &mut Object,
    schema: &Value,
    field: &'static str,
) -> Result<Option<Row>, DecodeError> {
    let object = match payload.remove(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(object)) => object,
        Some(other) => {
            return Err(DecodeError::WrongType {
                field: field.to_owned(),
                expected: "an object",
                found: json_type(&other),
            });
        }
    };
    let fields = schema
        .get("fields")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let image_schema = fields
        .iter()
        .find(|candidate| candidate.get("field").and_then(Value::as_str) == Some(field));
    let columns = image_schema
        .map(ColumnSchema::struct_fields)
        .unwrap_or_default();
    Ok(Some(Row::from_object(object, &columns)))
}

fn decode_message(
    payload: &Object,
    source: Source,
    ts_ms: Option<i64>,
) -> Result<ChangeEvent, DecodeError> {
    let message = required(opt_object(payload, "message", "message")?, "message")?;
    let prefix = required(
        opt_str(message, "prefix", "message.prefix")?,
        "message.prefix",
    )?
    .to_owned();
    let content = match present(message, "content") {
        None => Vec::new(),
        Some(Value::String(text)) => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|err| DecodeError::InvalidMessageContent(err.to_string()))?,
        Some(other) => {
            return Err(DecodeError::WrongType {
                field: "message.content".to_owned(),
                expected: "base64 text",
                found: json_type(other),
            });
        }
    };
    Ok(ChangeEvent::Message(LogicalMessage {
        prefix,
        content,
        source,
        ts_ms,
    }))
}
