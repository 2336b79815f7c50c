//! Why a record could not be decoded.
//!
//! The sink stores `DecodeError`'s `Display` in `cdc_parse_errors.reason`, so every message is one line: values
//! copied from the record are quoted with `{:?}` (newlines come out escaped) and cut to a short preview.

use thiserror::Error;

/// Which part of a Kafka record a problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Key,
    Value,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Key => "key",
            Part::Value => "value",
        })
    }
}

/// A record, or one of its columns, that cannot be turned into a typed change event.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("{part} is not JSON: {reason}")]
    NotJson { part: Part, reason: String },
    #[error("{part} is not a JSON object but {found}")]
    NotAnObject { part: Part, found: &'static str },
    #[error("missing field {field:?}")]
    MissingField { field: String },
    #[error("field {field:?} should be {expected} but is {found}")]
    WrongType { field: String, expected: &'static str, found: &'static str },
    #[error("unknown op {0:?}")]
    UnknownOp(String),
    #[error("op {op:?} requires {field:?} but it is null or missing")]
    MissingRowImage { op: &'static str, field: &'static str },
    #[error("unknown transaction status {0:?}")]
    UnknownTransactionStatus(String),
    #[error("invalid source.sequence {value:?}: {reason}")]
    InvalidSequence { value: String, reason: String },
    #[error("tombstone without a key: nothing to delete")]
    KeylessTombstone,
    #[error("invalid logical message content: {0}")]
    InvalidMessageContent(String),
    #[error("column {column:?} not in the row")]
    MissingColumn { column: String },
    #[error("column {column:?}: {reason}")]
    Column { column: String, reason: ValueError },
    #[error("unknown topic {0:?}")]
    UnknownTopic(String),
}

/// Why one column value could not be read as the type asked for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueError {
    #[error("expected {expected} but found {found}")]
    WrongType { expected: &'static str, found: &'static str },
    #[error("invalid base64 {value:?}: {reason}")]
    InvalidBase64 { value: String, reason: String },
    #[error("empty decimal bytes")]
    EmptyDecimalBytes,
    #[error("decimal does not fit 96 bits with scale {scale}")]
    DecimalOutOfRange { scale: i64 },
    #[error("decimal scale {0} is above the supported 28")]
    ScaleTooLarge(i64),
    #[error("decimal bytes need a scale: no Decimal schema and no scale hint")]
    MissingScale,
    #[error("invalid decimal {value:?}: {reason}")]
    InvalidDecimal { value: String, reason: String },
    #[error("integer timestamp needs a unit: no io.debezium.time schema and no unit hint")]
    MissingTimeUnit,
    #[error("timestamp {value} out of range for {unit}")]
    TimestampOutOfRange { value: i64, unit: &'static str },
    #[error("invalid timestamp {value:?}: {reason}")]
    InvalidTimestamp { value: String, reason: String },
    #[error("invalid date {value:?}: {reason}")]
    InvalidDate { value: String, reason: String },
    #[error("invalid uuid {value:?}: {reason}")]
    InvalidUuid { value: String, reason: String },
    #[error("integer {0} out of range for i64")]
    IntegerOutOfRange(String),
}

/// Longest preview of a value copied from a record into an error message.
const PREVIEW_CHARS: usize = 64;

/// A short copy of untrusted text for an error message; `{:?}` at the use site escapes newlines.
pub(crate) fn preview(text: &str) -> String {
    if text.chars().count() <= PREVIEW_CHARS {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(PREVIEW_CHARS).collect();
    cut.push('…');
    cut
}

/// The JSON type name of a value, for "expected X but found Y" messages.
pub(crate) fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
