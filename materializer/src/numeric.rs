//! NUMERIC and money values in every shape Debezium's `decimal.handling.mode` produces, decoded exactly.
//!
//! - `precise` (default): `org.apache.kafka.connect.data.Decimal`, the unscaled value as base64 big-endian two's
//!   complement bytes; the scale is in the schema, or comes from the caller when the record is schemaless.
//!   Unconstrained NUMERIC columns use `io.debezium.data.VariableScaleDecimal`, `{"scale": s, "value": bytes}`.
//! - `string`: the plain decimal text (`"39.98"`), exact as sent.
//! - `double`: a JSON number; precision was already lost at the source, so it is rounded to the hinted scale.
//!
//! Values become `rust_decimal::Decimal` (96-bit mantissa, scale ≤ 28); anything wider is an error, never a
//! silent rounding.

use std::str::FromStr;

use base64::Engine as _;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

use crate::column::{ColumnSchema, LogicalType};
use crate::error::{ValueError, json_type, preview};

/// rust_decimal's largest scale.
const MAX_SCALE: i64 = 28;

/// Decodes one NUMERIC column value. The schema, when present, decides the encoding; otherwise the JSON shape and
/// `scale_hint` do: a string is base64 Decimal bytes when a scale hint is given and it is valid base64, and decimal
/// text otherwise (so a schemaless `precise` column must be read with its scale, a `string` one without).
pub fn decimal_from_json(
    value: &Value,
    schema: Option<&ColumnSchema>,
    scale_hint: Option<u32>,
) -> Result<Decimal, ValueError> {
    match schema.and_then(|schema| schema.logical.as_ref()) {
        Some(LogicalType::Decimal { scale }) => {
            let scale = scale
                .or(scale_hint.map(i64::from))
                .ok_or(ValueError::MissingScale)?;
            decimal_from_base64(expect_str(value)?, scale)
        }
        Some(LogicalType::VariableScaleDecimal) => variable_scale_decimal(value),
        _ => match (value, schema.map(|schema| schema.connect_type.as_str())) {
            (Value::String(text), Some("string")) => decimal_from_text(text),
            (Value::String(text), _) => schemaless_text(text, scale_hint),
            (Value::Number(number), _) => decimal_from_double(number, scale_hint),
            (Value::Object(_), _) => variable_scale_decimal(value),
            (other, _) => Err(ValueError::WrongType {
                expected: "a decimal",
                found: json_type(other),
            }),
        },
    }
}

fn expect_str(value: &Value) -> Result<&str, ValueError> {
    value.as_str().ok_or(ValueError::WrongType {
        expected: "base64 decimal bytes",
        found: json_type(value),
    })
}

fn schemaless_text(text: &str, scale_hint: Option<u32>) -> Result<Decimal, ValueError> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(text);
    match (scale_hint, bytes) {
        (Some(scale), Ok(bytes)) => decimal_from_bytes(&bytes, i64::from(scale)),
        (None, Ok(_)) if decimal_from_text(text).is_err() => Err(ValueError::MissingScale),
        _ => decimal_from_text(text),
    }
}

/// `{"scale": 2, "value": "D54="}`.
fn variable_scale_decimal(value: &Value) -> Result<Decimal, ValueError> {
    let shape_error = || ValueError::WrongType {
        expected: "a {scale, value} decimal",
        found: json_type(value),
    };
    let scale = value
        .get("scale")
        .and_then(Value::as_i64)
        .ok_or_else(shape_error)?;
    let bytes = value
        .get("value")
        .and_then(Value::as_str)
        .ok_or_else(shape_error)?;
    decimal_from_base64(bytes, scale)
}

/// Base64 (standard alphabet, padded, as Java's encoder writes it) unscaled bytes with a scale.
pub fn decimal_from_base64(text: &str, scale: i64) -> Result<Decimal, ValueError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|err| ValueError::InvalidBase64 {
            value: preview(text),
            reason: err.to_string(),
        })?;
    decimal_from_bytes(&bytes, scale)
}

/// Big-endian two's-complement unscaled bytes (Java's `BigInteger.toByteArray`) with a scale.
pub fn decimal_from_bytes(bytes: &[u8], scale: i64) -> Result<Decimal, ValueError> {
    let first = bytes.first().ok_or(ValueError::EmptyDecimalBytes)?;
    let negative = first & 0x80 != 0;
    let sign_fill = if negative { 0xFF } else { 0x00 };
    // Leading sign-extension bytes carry no value; what remains must fit an i128.
    let mut significant = bytes;
    while let [lead, rest @ ..] = significant
        && let Some(next) = rest.first()
        && *lead == sign_fill
        && (next & 0x80 != 0) == negative
    {
        significant = rest;
    }
    if significant.len() > 16 {
        return Err(ValueError::DecimalOutOfRange { scale });
    }
    let start: i128 = if negative { -1 } else { 0 };
    let unscaled = significant
        .iter()
        .fold(start, |acc, byte| (acc << 8) | i128::from(*byte));
    scaled(unscaled, scale)
}

/// `unscaled × 10^-scale`; trailing zeros are dropped to fit a scale above 28, a negative scale multiplies.
fn scaled(mut unscaled: i128, mut scale: i64) -> Result<Decimal, ValueError> {
    while scale > MAX_SCALE && unscaled % 10 == 0 {
        unscaled /= 10;
        scale -= 1;
    }
    if scale > MAX_SCALE {
        return Err(ValueError::ScaleTooLarge(scale));
    }
    let out_of_range = || ValueError::DecimalOutOfRange { scale };
    let non_negative_scale = u32::try_from(scale.max(0)).map_err(|_| out_of_range())?;
    let value = Decimal::try_from_i128_with_scale(unscaled, non_negative_scale)
        .map_err(|_| out_of_range())?;
    if scale >= 0 {
        return Ok(value);
    }
    if value.is_zero() {
        return Ok(value);
    }
    // 10^29 exceeds 96 bits, so a longer loop could only end in the same error.
    (0..(-scale).min(MAX_SCALE + 1)).try_fold(value, |acc, _| {
        acc.checked_mul(Decimal::TEN).ok_or_else(out_of_range)
    })
}

/// Plain or scientific decimal text, exact.
pub fn decimal_from_text(text: &str) -> Result<Decimal, ValueError> {
    let trimmed = text.trim();
    let invalid = |reason: String| ValueError::InvalidDecimal {
        value: preview(text),
        reason,
    };
    if trimmed.contains(['e', 'E']) {
        Decimal::from_scientific(trimmed).map_err(|err| invalid(err.to_string()))
    } else if trimmed.contains('_') {
        Err(invalid("underscores are not decimal digits".to_owned()))
    } else {
        Decimal::from_str(trimmed).map_err(|err| invalid(err.to_string()))
    }
}

/// A JSON number from `decimal.handling.mode=double`: its shortest round-trip text, rounded half away from zero to
/// the hinted scale.
fn decimal_from_double(
    number: &serde_json::Number,
    scale_hint: Option<u32>,
) -> Result<Decimal, ValueError> {
    let value = decimal_from_text(&number.to_string())?;
    Ok(match scale_hint {
        Some(scale) => {
            let mut rounded =
                value.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
            rounded.rescale(scale);
            rounded
        }
        None => value,
    })
}
