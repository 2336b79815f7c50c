//! Row images (`before`, `after`, the record key) as named columns, and typed reads of one column.
//!
//! A column keeps its raw JSON together with the Connect field schema when the record carried one, because the
//! same JSON can mean different things: `"D54="` is a Decimal of scale 2 (39.98) or a text, `1548936781000000` is
//! microseconds or a plain bigint. The schema decides when present; otherwise the caller's hint (the sink knows its
//! source columns' SQL types) does. An unchanged TOASTed column arrives as Debezium's placeholder and becomes
//! [`Cell::Unavailable`], so the sink keeps the value it already has and never stores the placeholder.

use std::collections::BTreeMap;

use base64::Engine as _;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use crate::decode::error::{DecodeError, ValueError, json_type, preview};
use crate::decode::fields::Object;
use crate::decode::{numeric, temporal};

/// What Debezium's PostgreSQL connector puts in place of an unchanged TOASTed value it could not read
/// (`unavailable.value.placeholder`, default).
pub const UNAVAILABLE_VALUE_PLACEHOLDER: &str = "__debezium_unavailable_value";

/// The semantic type a Connect field schema names (`"name"`), as far as the analytics tables need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogicalType {
    /// `org.apache.kafka.connect.data.Decimal`: base64 big-endian two's-complement bytes, scale in the schema.
    /// `None` when the schema's `parameters.scale` is missing or not a number.
    Decimal { scale: Option<i64> },
    /// `io.debezium.data.VariableScaleDecimal`: `{"scale": s, "value": base64 bytes}`.
    VariableScaleDecimal,
    /// `io.debezium.time.Date` or `org.apache.kafka.connect.data.Date`: days since the epoch.
    Date,
    /// `io.debezium.time.Timestamp` or `org.apache.kafka.connect.data.Timestamp`: milliseconds since the epoch.
    Timestamp,
    /// `io.debezium.time.MicroTimestamp`: microseconds since the epoch.
    MicroTimestamp,
    /// `io.debezium.time.NanoTimestamp`: nanoseconds since the epoch.
    NanoTimestamp,
    /// `io.debezium.time.ZonedTimestamp`: ISO-8601 text with an offset.
    ZonedTimestamp,
    /// `io.debezium.data.Uuid`: the canonical text form.
    Uuid,
    /// Any other named type (enums, JSON, geometry, …), kept by name.
    Other(String),
}

impl LogicalType {
    fn from_schema(name: &str, schema: &Object) -> Self {
        match name {
            "org.apache.kafka.connect.data.Decimal" => LogicalType::Decimal { scale: schema_scale(schema) },
            "io.debezium.data.VariableScaleDecimal" => LogicalType::VariableScaleDecimal,
            "io.debezium.time.Date" | "org.apache.kafka.connect.data.Date" => LogicalType::Date,
            "io.debezium.time.Timestamp" | "org.apache.kafka.connect.data.Timestamp" => LogicalType::Timestamp,
            "io.debezium.time.MicroTimestamp" => LogicalType::MicroTimestamp,
            "io.debezium.time.NanoTimestamp" => LogicalType::NanoTimestamp,
            "io.debezium.time.ZonedTimestamp" => LogicalType::ZonedTimestamp,
            "io.debezium.data.Uuid" => LogicalType::Uuid,
            other => LogicalType::Other(other.to_owned()),
        }
    }
}

/// Connect writes `parameters.scale` as a string (`"2"`); accept a number too.
fn schema_scale(schema: &Object) -> Option<i64> {
    match schema.get("parameters")?.get("scale")? {
        Value::String(text) => text.parse().ok(),
        Value::Number(number) => number.as_i64(),
        _ => None,
    }
}

/// One field of a Connect struct schema (JsonConverter `schemas.enable=true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSchema {
    /// The Connect type: `int32`, `int64`, `bytes`, `string`, `double`, `struct`, …
    pub connect_type: String,
    pub logical: Option<LogicalType>,
    pub optional: bool,
}

impl ColumnSchema {
    /// Reads one field schema; `None` if it is not an object with a `type`.
    pub fn from_json(field: &Value) -> Option<Self> {
        let object = field.as_object()?;
        let connect_type = object.get("type")?.as_str()?.to_owned();
        let logical = object.get("name").and_then(Value::as_str).map(|name| LogicalType::from_schema(name, object));
        let optional = object.get("optional").and_then(Value::as_bool).unwrap_or(false);
        Some(ColumnSchema { connect_type, logical, optional })
    }

    /// The column schemas of a Connect struct schema, by field name.
    pub(crate) fn struct_fields(schema: &Value) -> BTreeMap<String, ColumnSchema> {
        let fields = schema.get("fields").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        fields
            .iter()
            .filter_map(|field| {
                let name = field.get("field")?.as_str()?.to_owned();
                Some((name, ColumnSchema::from_json(field)?))
            })
            .collect()
    }
}

/// A column's raw content.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    /// The unchanged-TOAST placeholder: the source did not send the value; keep the stored one.
    Unavailable,
    Value(Value),
}

impl Cell {
    fn from_json(value: Value) -> Self {
        if value.is_null() {
            Cell::Null
        } else if is_unavailable_placeholder(&value) {
            Cell::Unavailable
        } else {
            Cell::Value(value)
        }
    }
}

/// The placeholder as text, as bytes (base64 in JSON, for bytea and Decimal columns) or as a one-element array
/// (array columns), the three shapes Debezium emits it in.
fn is_unavailable_placeholder(value: &Value) -> bool {
    match value {
        Value::String(text) => is_placeholder_text(text),
        Value::Array(items) => {
            matches!(items.as_slice(), [Value::String(text)] if text == UNAVAILABLE_VALUE_PLACEHOLDER)
        }
        _ => false,
    }
}

/// Length of the placeholder in base64 (28 bytes, padded): only text this long can decode to it, so other text is
/// not decoded at all.
const PLACEHOLDER_BASE64_LEN: usize = 40;

/// The placeholder as text or as base64 bytes.
pub(crate) fn is_placeholder_text(text: &str) -> bool {
    text == UNAVAILABLE_VALUE_PLACEHOLDER
        || (text.len() == PLACEHOLDER_BASE64_LEN
            && base64::engine::general_purpose::STANDARD
                .decode(text)
                .is_ok_and(|bytes| bytes == UNAVAILABLE_VALUE_PLACEHOLDER.as_bytes()))
}

/// A typed column read: SQL NULL, the TOAST placeholder, or a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnValue<T> {
    Null,
    /// Keep the value already stored: the source did not send it.
    Unavailable,
    Value(T),
}

impl<T> ColumnValue<T> {
    /// The value, if there is one.
    pub fn value(self) -> Option<T> {
        match self {
            ColumnValue::Value(value) => Some(value),
            ColumnValue::Null | ColumnValue::Unavailable => None,
        }
    }

    pub fn is_unavailable(&self) -> bool {
        matches!(self, ColumnValue::Unavailable)
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> ColumnValue<U> {
        match self {
            ColumnValue::Null => ColumnValue::Null,
            ColumnValue::Unavailable => ColumnValue::Unavailable,
            ColumnValue::Value(value) => ColumnValue::Value(f(value)),
        }
    }
}

/// One column of a row image.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub cell: Cell,
    pub schema: Option<ColumnSchema>,
}

impl Column {
    fn read<T>(&self, decode: impl FnOnce(&Value) -> Result<T, ValueError>) -> Result<ColumnValue<T>, ValueError> {
        match &self.cell {
            Cell::Null => Ok(ColumnValue::Null),
            Cell::Unavailable => Ok(ColumnValue::Unavailable),
            Cell::Value(value) => decode(value).map(ColumnValue::Value),
        }
    }
}

/// A row image: `before`, `after`, or the record key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Row {
    columns: BTreeMap<String, Column>,
}

impl Row {
    /// Builds a row from a JSON object, attaching each column's schema when one is known.
    pub(crate) fn from_object(object: Object, schemas: &BTreeMap<String, ColumnSchema>) -> Self {
        let columns = object
            .into_iter()
            .map(|(name, value)| {
                let column = Column { cell: Cell::from_json(value), schema: schemas.get(&name).cloned() };
                (name, column)
            })
            .collect();
        Row { columns }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.columns.contains_key(name)
    }

    /// Column names in sorted order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.columns.keys().map(String::as_str)
    }

    /// Names of the columns whose value the source did not send (unchanged TOAST).
    pub fn unavailable_columns(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().filter(|(_, column)| column.cell == Cell::Unavailable).map(|(name, _)| name.as_str())
    }

    fn read<T>(
        &self,
        name: &str,
        decode: impl FnOnce(&Value, Option<&ColumnSchema>) -> Result<T, ValueError>,
    ) -> Result<ColumnValue<T>, DecodeError> {
        let column = self.columns.get(name).ok_or_else(|| DecodeError::MissingColumn { column: name.to_owned() })?;
        column
            .read(|value| decode(value, column.schema.as_ref()))
            .map_err(|reason| DecodeError::Column { column: name.to_owned(), reason })
    }

    /// A NUMERIC/money column. `scale_hint` is the column's SQL scale, used when the record has no Decimal schema
    /// (schemaless precise bytes) and to round values sent as doubles; see [`numeric::decimal_from_json`].
    pub fn decimal(&self, name: &str, scale_hint: Option<u32>) -> Result<ColumnValue<Decimal>, DecodeError> {
        self.read(name, |value, schema| numeric::decimal_from_json(value, schema, scale_hint))
    }

    /// A timestamp column; `unit_hint` says what an integer means when the record has no `io.debezium.time` schema.
    pub fn timestamp(
        &self,
        name: &str,
        unit_hint: Option<temporal::TimeUnit>,
    ) -> Result<ColumnValue<DateTime<Utc>>, DecodeError> {
        self.read(name, |value, schema| temporal::timestamp_from_json(value, schema, unit_hint))
    }

    /// A DATE column: days since the epoch or ISO text.
    pub fn date(&self, name: &str) -> Result<ColumnValue<NaiveDate>, DecodeError> {
        self.read(name, |value, _| temporal::date_from_json(value))
    }

    pub fn uuid(&self, name: &str) -> Result<ColumnValue<Uuid>, DecodeError> {
        self.read(name, |value, _| uuid_from_json(value))
    }

    pub fn i64(&self, name: &str) -> Result<ColumnValue<i64>, DecodeError> {
        self.read(name, |value, _| i64_from_json(value))
    }

    pub fn string(&self, name: &str) -> Result<ColumnValue<String>, DecodeError> {
        self.read(name, |value, _| match value {
            Value::String(text) => Ok(text.clone()),
            other => Err(ValueError::WrongType { expected: "a string", found: json_type(other) }),
        })
    }

    pub fn bool(&self, name: &str) -> Result<ColumnValue<bool>, DecodeError> {
        self.read(name, |value, _| {
            value.as_bool().ok_or(ValueError::WrongType { expected: "a boolean", found: json_type(value) })
        })
    }
}

fn uuid_from_json(value: &Value) -> Result<Uuid, ValueError> {
    let text = value.as_str().ok_or(ValueError::WrongType { expected: "a uuid string", found: json_type(value) })?;
    Uuid::parse_str(text).map_err(|err| ValueError::InvalidUuid { value: preview(text), reason: err.to_string() })
}

fn i64_from_json(value: &Value) -> Result<i64, ValueError> {
    match value {
        Value::Number(number) => number.as_i64().ok_or_else(|| {
            if number.is_u64() {
                ValueError::IntegerOutOfRange(number.to_string())
            } else {
                ValueError::WrongType { expected: "an integer", found: "a fractional number" }
            }
        }),
        other => Err(ValueError::WrongType { expected: "an integer", found: json_type(other) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_text_in_both_forms() {
        let encoded = base64::engine::general_purpose::STANDARD.encode(UNAVAILABLE_VALUE_PLACEHOLDER);
        assert_eq!(encoded.len(), PLACEHOLDER_BASE64_LEN);
        assert!(is_placeholder_text(&encoded));
        assert!(is_placeholder_text(UNAVAILABLE_VALUE_PLACEHOLDER));
        let unpadded = encoded.trim_end_matches('=');
        assert!(!is_placeholder_text(unpadded));
        assert!(!is_placeholder_text("__debezium_unavailable_value "));
    }
}
