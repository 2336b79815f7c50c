//! Kafka records from Debezium's PostgreSQL connector turned into typed change events.
//!
//! One entry point, [`ChangeEvent::from_kafka`], accepts every record the materializer can meet on its topics:
//! JsonConverter output with or without the `{"schema", "payload"}` wrapper, change events of every op
//! (`c u d r t m`), tombstones (null value after a delete), transaction BEGIN/END records and heartbeats. Anything
//! else is a [`DecodeError`] whose one-line reason the sink stores in `cdc_parse_errors`; no input panics.

use base64::Engine as _;
use serde_json::Value;

use crate::decode::column::{ColumnSchema, Row};
use crate::decode::error::{DecodeError, Part, json_type, preview};
use crate::decode::fields::{Object, opt_i64, opt_object, opt_str, present, required};
use crate::decode::position::Position;
use crate::decode::source_block::SourceBlock;
use crate::decode::transaction::{TransactionBlock, TransactionEvent};

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
    pub source: SourceBlock,
    /// When Debezium processed the event.
    pub ts_ms: Option<i64>,
    pub transaction: Option<TransactionBlock>,
}

impl RowChange {
    /// The WAL position used to discard older events for the same key; see [`Position`].
    pub fn position(&self) -> Option<Position> {
        Position::of(&self.source)
    }
}

/// A TRUNCATE of the table named in `source`.
#[derive(Debug, Clone, PartialEq)]
pub struct Truncate {
    pub source: SourceBlock,
    pub ts_ms: Option<i64>,
}

/// A logical decoding message.
#[derive(Debug, Clone, PartialEq)]
pub struct LogicalMessage {
    pub prefix: String,
    pub content: Vec<u8>,
    pub source: SourceBlock,
    pub ts_ms: Option<i64>,
}

/// Everything a Debezium topic can deliver.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeEvent {
    Row(RowChange),
    Truncate(Truncate),
    Message(LogicalMessage),
    /// A null value following a delete, for log compaction: the row with this key is gone. It has no source and
    /// so no position; the delete it follows already carried one.
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
    pub fn from_kafka(topic: &str, key: Option<&[u8]>, value: Option<&[u8]>) -> Result<Self, DecodeError> {
        let parse = |bytes: &[u8], part| {
            serde_json::from_slice::<Value>(bytes).map_err(|err| DecodeError::NotJson { part, reason: err.to_string() })
        };
        let key = key.map(|bytes| parse(bytes, Part::Key)).transpose()?;
        let value = value.map(|bytes| parse(bytes, Part::Value)).transpose()?;
        Self::from_json(topic, key, value)
    }

    /// Decodes a record whose key and value are already JSON (the embedded replication reader's path).
    pub fn from_json(topic: &str, key: Option<Value>, value: Option<Value>) -> Result<Self, DecodeError> {
        let key = key.map(decode_key).transpose()?.flatten();
        let (payload, schema) = match value {
            Some(value) => unwrap_value(value),
            None => (Value::Null, Value::Null),
        };
        let payload = match payload {
            Value::Null => {
                return key.map(|key| ChangeEvent::Tombstone { key }).ok_or(DecodeError::KeylessTombstone);
            }
            Value::Object(payload) => payload,
            other => {
                return Err(DecodeError::NotAnObject { part: Part::Value, found: json_type(&other) });
            }
        };
        if topic.starts_with(HEARTBEAT_TOPIC_PREFIX) || is_heartbeat(&payload) {
            return Ok(ChangeEvent::Heartbeat { ts_ms: opt_i64(&payload, "ts_ms", "ts_ms")? });
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
            ChangeEvent::Tombstone { .. } | ChangeEvent::Transaction(_) | ChangeEvent::Heartbeat { .. } => None,
        }
    }

    pub fn source(&self) -> Option<&SourceBlock> {
        match self {
            ChangeEvent::Row(change) => Some(&change.source),
            ChangeEvent::Truncate(truncate) => Some(&truncate.source),
            ChangeEvent::Message(message) => Some(&message.source),
            ChangeEvent::Tombstone { .. } | ChangeEvent::Transaction(_) | ChangeEvent::Heartbeat { .. } => None,
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
            if wrapper.contains_key("payload") && wrapper.keys().all(|k| k == "payload" || k == "schema") =>
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
            if wrapper.len() == 2 && wrapper.contains_key("schema") && wrapper.contains_key("payload") =>
        {
            let schema = wrapper.remove("schema").unwrap_or(Value::Null);
            (wrapper.remove("payload").unwrap_or(Value::Null), schema)
        }
        other => (other, Value::Null),
    };
    match payload {
        Value::Null => Ok(None),
        Value::Object(object) => Ok(Some(Row::from_object(object, &ColumnSchema::struct_fields(&schema)))),
        other => Err(DecodeError::NotAnObject { part: Part::Key, found: json_type(&other) }),
    }
}

fn decode_envelope(mut payload: Object, schema: &Value, key: Option<Row>) -> Result<ChangeEvent, DecodeError> {
    let op = Op::parse(required(opt_str(&payload, "op", "op")?, "op")?)?;
    let source = SourceBlock::from_object(required(opt_object(&payload, "source", "source")?, "source")?)?;
    let ts_ms = opt_i64(&payload, "ts_ms", "ts_ms")?;
    match op {
        Op::Truncate => Ok(ChangeEvent::Truncate(Truncate { source, ts_ms })),
        Op::Message => decode_message(&payload, source, ts_ms),
        Op::Create | Op::Update | Op::Delete | Op::Read => {
            let before = row_image(&mut payload, schema, "before")?;
            let after = row_image(&mut payload, schema, "after")?;
            match op {
                Op::Delete if before.is_none() && key.is_none() => {
                    return Err(DecodeError::MissingRowImage { op: op.code(), field: "before" });
                }
                Op::Create | Op::Update | Op::Read if after.is_none() => {
                    return Err(DecodeError::MissingRowImage { op: op.code(), field: "after" });
                }
                _ => {}
            }
            let transaction =
                opt_object(&payload, "transaction", "transaction")?.map(TransactionBlock::from_object).transpose()?;
            Ok(ChangeEvent::Row(RowChange { op, key, before, after, source, ts_ms, transaction }))
        }
    }
}

/// `before` or `after`, with column schemas from the envelope schema's field of the same name.
fn row_image(payload: &mut Object, schema: &Value, field: &'static str) -> Result<Option<Row>, DecodeError> {
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
    let fields = schema.get("fields").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let image_schema = fields.iter().find(|candidate| candidate.get("field").and_then(Value::as_str) == Some(field));
    let columns = image_schema.map(ColumnSchema::struct_fields).unwrap_or_default();
    Ok(Some(Row::from_object(object, &columns)))
}

fn decode_message(payload: &Object, source: SourceBlock, ts_ms: Option<i64>) -> Result<ChangeEvent, DecodeError> {
    let message = required(opt_object(payload, "message", "message")?, "message")?;
    let prefix = required(opt_str(message, "prefix", "message.prefix")?, "message.prefix")?.to_owned();
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
    Ok(ChangeEvent::Message(LogicalMessage { prefix, content, source, ts_ms }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::column::{Cell, ColumnValue, LogicalType};
    use crate::decode::source_block::Snapshot;
    use rust_decimal::Decimal;
    use serde_json::json;

    const TOPIC: &str = "ecom-connector.public.orders";

    fn source() -> Value {
        json!({"version": "3.4.0.Final", "connector": "postgresql", "name": "ecom-connector", "ts_ms": 1,
               "snapshot": "false", "db": "ecom", "sequence": "[\"10\",\"20\"]", "schema": "public",
               "table": "orders", "txId": 7, "lsn": 20, "xmin": null})
    }

    fn decode(value: &Value) -> Result<ChangeEvent, DecodeError> {
        ChangeEvent::from_kafka(TOPIC, None, Some(value.to_string().as_bytes()))
    }

    fn row_change(value: &Value) -> RowChange {
        match decode(value) {
            Ok(ChangeEvent::Row(change)) => change,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn with_schema_decimal_and_uuid() {
        let schema = json!({"type": "struct", "name": "ecom-connector.public.orders.Envelope", "fields": [
            {"type": "struct", "optional": true, "field": "after", "fields": [
                {"type": "string", "optional": false, "name": "io.debezium.data.Uuid", "version": 1, "field": "id"},
                {"type": "bytes", "optional": false, "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
                 "parameters": {"scale": "2", "connect.decimal.precision": "10"}, "field": "total"},
                {"type": "string", "optional": false, "name": "io.debezium.time.ZonedTimestamp", "version": 1,
                 "field": "created_at"}]}]});
        let payload = json!({"before": null, "op": "c", "source": source(), "after": {
            "id": "00000000-0000-0000-0000-000000000001", "total": "/w==", "created_at": "2026-07-01T10:00:00+02:00"}});
        let change = row_change(&json!({"schema": schema, "payload": payload}));
        let after = change.after.unwrap();
        let total_schema = after.column("total").unwrap().schema.clone().unwrap();
        assert_eq!(total_schema.logical, Some(LogicalType::Decimal { scale: Some(2) }));
        // The schema's scale wins over a wrong hint.
        assert_eq!(after.decimal("total", Some(5)).unwrap(), ColumnValue::Value(Decimal::new(-1, 2)));
        assert_eq!(after.uuid("id").unwrap().value().unwrap().as_u128(), 1);
        assert_eq!(
            after.timestamp("created_at", None).unwrap().value().unwrap(),
            "2026-07-01T08:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap()
        );
    }

    #[test]
    fn with_schema_key() {
        let key = json!({"schema": {"type": "struct", "fields": [
            {"type": "string", "name": "io.debezium.data.Uuid", "field": "id"}]},
            "payload": {"id": "00000000-0000-0000-0000-000000000002"}});
        let event = ChangeEvent::from_kafka(TOPIC, Some(key.to_string().as_bytes()), None).unwrap();
        let ChangeEvent::Tombstone { key } = event else { panic!("{event:?}") };
        assert_eq!(key.column("id").unwrap().schema.as_ref().unwrap().logical, Some(LogicalType::Uuid));
        assert_eq!(key.uuid("id").unwrap().value().unwrap().as_u128(), 2);
    }

    #[test]
    fn unavailable_placeholder_in_every_shape() {
        let change = row_change(&json!({"op": "u", "source": source(), "after": {
            "id": 1, "text": "__debezium_unavailable_value", "bytes": "X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==",
            "array": ["__debezium_unavailable_value"], "other": ["__debezium_unavailable_value", "x"]}}));
        let after = change.after.unwrap();
        assert_eq!(after.unavailable_columns().collect::<Vec<_>>(), ["array", "bytes", "text"]);
        assert_eq!(after.decimal("bytes", Some(2)).unwrap(), ColumnValue::Unavailable);
        assert_eq!(after.timestamp("text", None).unwrap(), ColumnValue::Unavailable);
        assert!(matches!(after.column("other").unwrap().cell, Cell::Value(_)));
    }

    #[test]
    fn heartbeats_are_recognised_by_topic_or_shape() {
        let heartbeat = br#"{"ts_ms":1700000000000}"#;
        let key = br#"{"serverName":"ecom-connector"}"#;
        let event = ChangeEvent::from_kafka("__debezium-heartbeat.ecom-connector", Some(key), Some(heartbeat)).unwrap();
        assert_eq!(event, ChangeEvent::Heartbeat { ts_ms: Some(1700000000000) });
        assert_eq!(event.op(), None);
        let wrapped = json!({"schema": {"type": "struct", "name": "io.debezium.connector.common.Heartbeat"},
                             "payload": {"ts_ms": 5}});
        assert_eq!(decode(&wrapped).unwrap(), ChangeEvent::Heartbeat { ts_ms: Some(5) });
        let err = decode(&json!({"ts_ms": "soon"})).unwrap_err();
        assert_eq!(err.to_string(), r#"field "ts_ms" should be a 64-bit integer but is a string"#);
    }

    #[test]
    fn tombstones() {
        let key = br#"{"id":5}"#;
        for value in [None, Some(&b"null"[..]), Some(&br#"{"schema":null,"payload":null}"#[..])] {
            let event = ChangeEvent::from_kafka(TOPIC, Some(key), value).unwrap();
            assert!(matches!(event, ChangeEvent::Tombstone { .. }), "{value:?}");
        }
        assert_eq!(ChangeEvent::from_kafka(TOPIC, None, None), Err(DecodeError::KeylessTombstone));
        assert_eq!(ChangeEvent::from_kafka(TOPIC, Some(b"null"), None), Err(DecodeError::KeylessTombstone));
    }

    #[test]
    fn garbage_and_truncated_json() {
        let full = json!({"op": "c", "source": source(), "after": {"id": 1}}).to_string();
        let cut = full.get(..full.len() / 2).unwrap_or_default();
        for bytes in [cut.as_bytes(), b"", b"\xff\xfe", b"{\"op\":", b"not json", b"{} trailing"] {
            let err = ChangeEvent::from_kafka(TOPIC, None, Some(bytes)).unwrap_err();
            assert!(matches!(err, DecodeError::NotJson { part: Part::Value, .. }), "{bytes:?}: {err:?}");
            assert!(!err.to_string().contains('\n'));
        }
        let err = ChangeEvent::from_kafka(TOPIC, Some(b"{"), Some(full.as_bytes())).unwrap_err();
        assert!(err.to_string().starts_with("key is not JSON: EOF"), "{err}");
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(ChangeEvent::from_kafka(TOPIC, None, Some(deep.as_bytes())).is_err());
    }

    #[test]
    fn wrong_shapes_have_reasons() {
        let cases = [
            (json!([1, 2]), "value is not a JSON object but an array"),
            (json!("c"), "value is not a JSON object but a string"),
            (json!({"source": source()}), r#"missing field "op""#),
            (json!({"op": "x", "source": source()}), r#"unknown op "x""#),
            (json!({"op": 1, "source": source()}), r#"field "op" should be a string but is a number"#),
            (json!({"op": "c", "after": {"id": 1}}), r#"missing field "source""#),
            (
                json!({"op": "c", "source": source(), "after": null}),
                r#"op "c" requires "after" but it is null or missing"#,
            ),
            (json!({"op": "r", "source": source()}), r#"op "r" requires "after" but it is null or missing"#),
            (
                json!({"op": "d", "source": source(), "before": null}),
                r#"op "d" requires "before" but it is null or missing"#,
            ),
            (
                json!({"op": "u", "source": source(), "after": [1]}),
                r#"field "after" should be an object but is an array"#,
            ),
            (json!({"op": "c", "source": "pg", "after": {}}), r#"field "source" should be an object but is a string"#),
            (
                json!({"op": "c", "source": source(), "after": {}, "transaction": {"total_order": 1}}),
                r#"missing field "transaction.id""#,
            ),
            (json!({"op": "m", "source": source()}), r#"missing field "message""#),
            (
                json!({"op": "m", "source": source(), "message": {"prefix": "p", "content": "%%"}}),
                "invalid logical message content: Invalid symbol 37, offset 0.",
            ),
            (json!({"status": "ROLLBACK", "id": "1:2"}), r#"unknown transaction status "ROLLBACK""#),
            (
                json!({"status": "END", "id": "1:2", "data_collections": [{"event_count": 1}]}),
                r#"missing field "data_collections[].data_collection""#,
            ),
        ];
        for (value, reason) in cases {
            assert_eq!(decode(&value).unwrap_err().to_string(), reason, "{value}");
        }
    }

    #[test]
    fn delete_under_replica_identity_nothing_keeps_the_key() {
        let value = json!({"op": "d", "source": source(), "before": null, "after": null});
        let event = ChangeEvent::from_kafka(TOPIC, Some(br#"{"id":9}"#), Some(value.to_string().as_bytes())).unwrap();
        let ChangeEvent::Row(change) = event else { panic!("{event:?}") };
        assert_eq!(change.key.unwrap().i64("id").unwrap(), ColumnValue::Value(9));
        assert!(change.before.is_none());
    }

    #[test]
    fn transaction_block_and_position() {
        let change = row_change(&json!({"op": "c", "source": source(), "after": {"id": 1},
            "transaction": {"id": "7:20", "total_order": 2, "data_collection_order": 1}}));
        let block = change.transaction.clone().unwrap();
        assert_eq!((block.id.as_str(), block.total_order, block.data_collection_order), ("7:20", Some(2), Some(1)));
        assert_eq!(change.position(), Some(Position { commit_lsn: 10, lsn: 20 }));
        assert_eq!(change.source.snapshot, Snapshot::False);
    }

    #[test]
    fn op_codes_round_trip() {
        for op in [Op::Create, Op::Update, Op::Delete, Op::Read, Op::Truncate, Op::Message] {
            assert_eq!(Op::parse(op.code()), Ok(op));
        }
        let long = "x".repeat(500);
        let reason = Op::parse(&long).unwrap_err().to_string();
        assert!(reason.len() < 100, "{reason}");
    }
}
