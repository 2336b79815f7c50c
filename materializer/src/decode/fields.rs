//! Typed reads of envelope fields (`source.lsn`, `op`, …) from untrusted JSON objects.
//!
//! Every reader distinguishes "absent or null" (`Ok(None)`) from "present with the wrong type" (an error naming the
//! field), so a malformed record is reported instead of being silently treated as missing data.

use serde_json::{Map, Value};

use crate::decode::error::{DecodeError, json_type};

pub(crate) type Object = Map<String, Value>;

/// The field's value unless it is absent or JSON null.
pub(crate) fn present<'a>(object: &'a Object, field: &str) -> Option<&'a Value> {
    object.get(field).filter(|value| !value.is_null())
}

fn wrong(path: &str, expected: &'static str, found: &Value) -> DecodeError {
    DecodeError::WrongType { field: path.to_owned(), expected, found: json_type(found) }
}

pub(crate) fn opt_str<'a>(object: &'a Object, field: &str, path: &str) -> Result<Option<&'a str>, DecodeError> {
    match present(object, field) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(wrong(path, "a string", other)),
    }
}

pub(crate) fn opt_i64(object: &Object, field: &str, path: &str) -> Result<Option<i64>, DecodeError> {
    match present(object, field) {
        None => Ok(None),
        Some(value) => value.as_i64().map(Some).ok_or_else(|| wrong(path, "a 64-bit integer", value)),
    }
}

pub(crate) fn opt_u64(object: &Object, field: &str, path: &str) -> Result<Option<u64>, DecodeError> {
    match present(object, field) {
        None => Ok(None),
        Some(value) => value.as_u64().map(Some).ok_or_else(|| wrong(path, "an unsigned 64-bit integer", value)),
    }
}

pub(crate) fn opt_object<'a>(object: &'a Object, field: &str, path: &str) -> Result<Option<&'a Object>, DecodeError> {
    match present(object, field) {
        None => Ok(None),
        Some(Value::Object(inner)) => Ok(Some(inner)),
        Some(other) => Err(wrong(path, "an object", other)),
    }
}

pub(crate) fn required<T>(found: Option<T>, path: &str) -> Result<T, DecodeError> {
    found.ok_or_else(|| DecodeError::MissingField { field: path.to_owned() })
}
