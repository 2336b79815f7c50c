//! Dates and timestamps in the shapes Debezium's PostgreSQL connector emits, as `chrono` values in UTC.
//!
//! `timestamptz` arrives as `io.debezium.time.ZonedTimestamp` text with an offset; `timestamp` as epoch integers
//! whose unit depends on the column precision and `time.precision.mode` (`Timestamp` ms, `MicroTimestamp` µs,
//! `NanoTimestamp` ns); `date` as days since the epoch (`io.debezium.time.Date`) or ISO text from custom
//! converters. Without a schema an integer's unit is the caller's hint. Local date-times without an offset are
//! taken as UTC, which is how Debezium encodes `timestamp without time zone`.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, Utc};
use serde_json::Value;

use crate::decode::column::{ColumnSchema, LogicalType};
use crate::decode::error::{ValueError, json_type, preview};

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
            let integer = number
                .as_i64()
                .ok_or(ValueError::WrongType { expected: "an integer timestamp", found: "a non-i64 number" })?;
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
        other => Err(ValueError::WrongType { expected: "a timestamp", found: json_type(other) }),
    }
}

/// An integer count of `unit` since 1970-01-01T00:00:00Z.
pub fn from_epoch(value: i64, unit: TimeUnit) -> Result<DateTime<Utc>, ValueError> {
    let converted = match unit {
        TimeUnit::Millis => DateTime::from_timestamp_millis(value),
        TimeUnit::Micros => DateTime::from_timestamp_micros(value),
        TimeUnit::Nanos => Some(DateTime::from_timestamp_nanos(value)),
    };
    converted.ok_or(ValueError::TimestampOutOfRange { value, unit: unit.name() })
}

/// ISO-8601 text: with an offset (`ZonedTimestamp`, `2019-01-31T12:13:01+01:00`, `…Z`) converted to UTC, or a
/// local date-time taken as UTC.
pub fn parse_iso_timestamp(text: &str) -> Result<DateTime<Utc>, ValueError> {
    if let Ok(zoned) = DateTime::parse_from_rfc3339(text) {
        return Ok(zoned.with_timezone(&Utc));
    }
    // Offsets without a colon or with seconds, which RFC 3339 does not allow but ISO-8601 does.
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%.f%::z"] {
        if let Ok(zoned) = DateTime::parse_from_str(text, format) {
            return Ok(zoned.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(local) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(local.and_utc());
        }
    }
    Err(ValueError::InvalidTimestamp { value: preview(text), reason: "not an ISO-8601 date-time".to_owned() })
}

/// Decodes a date column: days since the epoch (`io.debezium.time.Date`) or `YYYY-MM-DD`.
pub fn date_from_json(value: &Value) -> Result<NaiveDate, ValueError> {
    match value {
        Value::Number(number) => {
            let days =
                number.as_i64().ok_or(ValueError::WrongType { expected: "integer days", found: "a non-i64 number" })?;
            date_from_days(days)
        }
        Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|err| ValueError::InvalidDate { value: preview(text), reason: err.to_string() }),
        other => Err(ValueError::WrongType { expected: "a date", found: json_type(other) }),
    }
}

fn date_from_days(days: i64) -> Result<NaiveDate, ValueError> {
    let epoch = DateTime::UNIX_EPOCH.date_naive();
    let shifted = if days >= 0 {
        epoch.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        epoch.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    shifted.ok_or(ValueError::InvalidDate { value: days.to_string(), reason: "out of range".to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn named(name: &str) -> ColumnSchema {
        ColumnSchema::from_json(&json!({"type": "int64", "name": name, "field": "t"})).unwrap()
    }

    #[test]
    fn zoned_timestamps_are_converted_to_utc() {
        assert_eq!(parse_iso_timestamp("2019-01-31T12:13:01Z").unwrap(), utc("2019-01-31T12:13:01Z"));
        assert_eq!(parse_iso_timestamp("2019-01-31T12:13:01+01:00").unwrap(), utc("2019-01-31T11:13:01Z"));
        assert_eq!(parse_iso_timestamp("2019-01-31T05:43:01.5-05:30").unwrap(), utc("2019-01-31T11:13:01.5Z"));
        assert_eq!(parse_iso_timestamp("2019-01-01T00:30:00+14:00").unwrap(), utc("2018-12-31T10:30:00Z"));
        assert_eq!(parse_iso_timestamp("2019-01-31T12:13:01+0100").unwrap(), utc("2019-01-31T11:13:01Z"));
        assert_eq!(
            parse_iso_timestamp("2011-11-11T03:11:11.123456789Z").unwrap(),
            utc("2011-11-11T03:11:11.123456789Z")
        );
    }

    #[test]
    fn local_iso_timestamps_are_utc() {
        assert_eq!(parse_iso_timestamp("2019-01-31T12:13:01").unwrap(), utc("2019-01-31T12:13:01Z"));
        assert_eq!(parse_iso_timestamp("2019-01-31 12:13:01.25").unwrap(), utc("2019-01-31T12:13:01.25Z"));
    }

    #[test]
    fn bad_timestamps_name_the_value() {
        for text in ["", "infinity", "2019-13-01T00:00:00Z", "11:11:11Z", "2019-01-31T12:13:01+25:00"] {
            let err = parse_iso_timestamp(text).unwrap_err();
            assert!(matches!(err, ValueError::InvalidTimestamp { .. }), "{text}: {err:?}");
        }
    }

    #[test]
    fn schema_units() {
        let value = json!(1548936781000000i64);
        let micro = named("io.debezium.time.MicroTimestamp");
        assert_eq!(
            timestamp_from_json(&value, Some(&micro), Some(TimeUnit::Millis)).unwrap(),
            utc("2019-01-31T12:13:01Z")
        );
        let milli = named("io.debezium.time.Timestamp");
        assert_eq!(
            timestamp_from_json(&json!(1548936781000i64), Some(&milli), None).unwrap(),
            utc("2019-01-31T12:13:01Z")
        );
        let nano = named("io.debezium.time.NanoTimestamp");
        assert_eq!(
            timestamp_from_json(&json!(1548936781000000001i64), Some(&nano), None).unwrap(),
            utc("2019-01-31T12:13:01.000000001Z")
        );
        let date = named("io.debezium.time.Date");
        assert_eq!(timestamp_from_json(&json!(17927), Some(&date), None).unwrap(), utc("2019-01-31T00:00:00Z"));
        let zoned = named("io.debezium.time.ZonedTimestamp");
        assert_eq!(
            timestamp_from_json(&json!("2019-01-31T12:13:01Z"), Some(&zoned), None).unwrap(),
            utc("2019-01-31T12:13:01Z")
        );
    }

    #[test]
    fn schemaless_integers_need_a_unit_and_a_range() {
        assert_eq!(timestamp_from_json(&json!(0), None, None), Err(ValueError::MissingTimeUnit));
        assert_eq!(
            timestamp_from_json(&json!(-1000), None, Some(TimeUnit::Millis)).unwrap(),
            utc("1969-12-31T23:59:59Z")
        );
        assert!(matches!(
            timestamp_from_json(&json!(i64::MAX), None, Some(TimeUnit::Millis)),
            Err(ValueError::TimestampOutOfRange { .. })
        ));
        assert!(matches!(
            timestamp_from_json(&json!(1.5), None, Some(TimeUnit::Millis)),
            Err(ValueError::WrongType { .. })
        ));
        assert!(matches!(
            timestamp_from_json(&json!(u64::MAX), None, Some(TimeUnit::Micros)),
            Err(ValueError::WrongType { .. })
        ));
        assert!(matches!(timestamp_from_json(&json!(true), None, None), Err(ValueError::WrongType { .. })));
    }

    #[test]
    fn dates() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(date_from_json(&json!(0)).unwrap(), date(1970, 1, 1));
        assert_eq!(date_from_json(&json!(17927)).unwrap(), date(2019, 1, 31));
        assert_eq!(date_from_json(&json!(-1)).unwrap(), date(1969, 12, 31));
        assert_eq!(date_from_json(&json!("1999-09-09")).unwrap(), date(1999, 9, 9));
        assert!(matches!(date_from_json(&json!(i64::MIN)), Err(ValueError::InvalidDate { .. })));
        assert!(matches!(date_from_json(&json!("1999-02-30")), Err(ValueError::InvalidDate { .. })));
        assert!(matches!(date_from_json(&json!(null)), Err(ValueError::WrongType { .. })));
    }
}
