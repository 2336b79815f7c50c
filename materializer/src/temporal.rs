//! Dates and timestamps in the shapes Debezium's PostgreSQL connector emits, as `chrono` values in UTC.
//!
//! `timestamptz` arrives as `io.debezium.time.ZonedTimestamp` text with an offset; `timestamp` as epoch integers
//! whose unit depends on the column precision and `time.precision.mode` (`Timestamp` ms, `MicroTimestamp` µs,
//! `NanoTimestamp` ns); `date` as days since the epoch (`io.debezium.time.Date`) or ISO text from custom
//! converters. Without a schema an integer's unit is the caller's hint. Local date-times without an offset are
//! taken as UTC, which is how Debezium encodes `timestamp without time zone`.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

use crate::column::{ColumnSchema, LogicalType};
use crate::error::{ValueError, json_type, preview};

/// What an integer timestamp counts since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Millis,
    Micros,
    Nanos,
}

impl TimeUnit {
    fn name(self) -> &'static str {
        match self {
            TimeUnit::Millis => "milliseconds",
            TimeUnit::Micros => "microseconds",
            TimeUnit::Nanos => "nanoseconds",
        }
    }
}

/// Decodes a timestamp column; the schema's logical type wins over `unit_hint`.
pub fn timestamp_from_json(
    value: &Value,
    schema: Option<&ColumnSchema>,
    unit_hint: Option<TimeUnit>,
) -> Result<DateTime<Utc>, ValueError> {
    let logical = schema.and_then(|schema| schema.logical.as_ref());
    match value {
        Value::String(text) => parse_iso_timestamp(text),
        Value::Number(number) => {
            let integer = number.as_i64().ok_or(ValueError::WrongType {
                expected: "an integer timestamp",
                found: "a non-i64 number",
            })?;
            match logical {
                Some(LogicalType::Date) => {
                    date_from_days(integer).map(|date| date.and_time(Default::default()).and_utc())
                }
                Some(LogicalType::Timestamp) => from_epoch(integer, TimeUnit::Millis),
                Some(LogicalType::MicroTimestamp) => from_epoch(integer, TimeUnit::Micros),
                Some(LogicalType::NanoTimestamp) => from_epoch(integer, TimeUnit::Nanos),
                _ => from_epoch(integer, unit_hint.ok_or(ValueError::MissingTimeUnit)?),
            }
        }
        other => Err(ValueError::WrongType {
            expected: "a timestamp",
            found: json_type(other),
        }),
    }
}

/// An integer count of `unit` since 1970-01-01T00:00:00Z.
pub fn from_epoch(value: i64, unit: TimeUnit) -> Result<DateTime<Utc>, ValueError> {
    let converted = match unit {
        TimeUnit::Millis => DateTime::from_timestamp_millis(value),
        TimeUnit::Micros => DateTime::from_timestamp_micros(value),
        TimeUnit::Nanos => Some(DateTime::from_timestamp_nanos(value)),
    };
    converted.ok_or(ValueError::TimestampOutOfRange {
        value,
        unit: unit.name(),
    })
}

/// ISO-8601 text: with an offset (`ZonedTimestamp`, `2019-01-31T12:13:01+01:00`, `…Z`) converted to UTC, or a
/// local date-time taken as UTC.
pub fn parse_iso_timestamp(text: &str) -> Result<DateTime<Utc>, ValueError> {
    if let Ok(zoned) = DateTime::parse_from_rfc3339(text) {
        return Ok(zoned.with_timezone(&Utc));
    }
    // Offsets without a colon or with seconds, which RFC 3339 does not allow but ISO-8601 does.
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%::z",
    ] {
        if let Ok(zoned) = DateTime::parse_from_str(text, format) {
            return Ok(zoned.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(local.and_utc());
        }
    }
    Err(ValueError::InvalidTimestamp {
        value: preview(text),
        reason: "not an ISO-8601 date-time".to_owned(),
    })
}

/// Decodes a date column: days since the epoch (`io.debezium.time.Date`) or `YYYY-MM-DD`.
pub fn date_from_json(value: &Value) -> Result<NaiveDate, ValueError> {
    match value {
        Value::Number(number) => {
            let days = number.as_i64().ok_or(ValueError::WrongType {
                expected: "integer days",
                found: "a non-i64 number",
            })?;
            date_from_days(days)
        }
        Value::String(text) => {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|err| ValueError::InvalidDate {
                value: preview(text),
                reason: err.to_string(),
            })
        }
        other => Err(ValueError::WrongType {
            expected: "a date",
            found: json_type(other),
        }),
    }
}

fn date_from_days(days: i64) -> Result<NaiveDate, ValueError> {
    let epoch = DateTime::UNIX_EPOCH.date_naive();
    let shifted = if days >= 0 {
        epoch.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        epoch.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    shifted.ok_or(ValueError::InvalidDate {
        value: days.to_string(),
        reason: "out of range".to_owned(),
    })
}
