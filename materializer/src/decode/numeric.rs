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

use crate::decode::column::{ColumnSchema, LogicalType};
use crate::decode::error::{ValueError, json_type, preview};

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
            let scale = scale.or(scale_hint.map(i64::from)).ok_or(ValueError::MissingScale)?;
            decimal_from_base64(expect_str(value)?, scale)
        }
        Some(LogicalType::VariableScaleDecimal) => variable_scale_decimal(value),
        _ => match (value, schema.map(|schema| schema.connect_type.as_str())) {
            (Value::String(text), Some("string")) => decimal_from_text(text),
            (Value::String(text), _) => schemaless_text(text, scale_hint),
            (Value::Number(number), _) => decimal_from_double(number, scale_hint),
            (Value::Object(_), _) => variable_scale_decimal(value),
            (other, _) => Err(ValueError::WrongType { expected: "a decimal", found: json_type(other) }),
        },
    }
}

fn expect_str(value: &Value) -> Result<&str, ValueError> {
    value.as_str().ok_or(ValueError::WrongType { expected: "base64 decimal bytes", found: json_type(value) })
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
    let shape_error = || ValueError::WrongType { expected: "a {scale, value} decimal", found: json_type(value) };
    let scale = value.get("scale").and_then(Value::as_i64).ok_or_else(shape_error)?;
    let bytes = value.get("value").and_then(Value::as_str).ok_or_else(shape_error)?;
    decimal_from_base64(bytes, scale)
}

/// Base64 (standard alphabet, padded, as Java's encoder writes it) unscaled bytes with a scale.
pub fn decimal_from_base64(text: &str, scale: i64) -> Result<Decimal, ValueError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|err| ValueError::InvalidBase64 { value: preview(text), reason: err.to_string() })?;
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
    let unscaled = significant.iter().fold(start, |acc, byte| (acc << 8) | i128::from(*byte));
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
    let value = Decimal::try_from_i128_with_scale(unscaled, non_negative_scale).map_err(|_| out_of_range())?;
    if scale >= 0 {
        return Ok(value);
    }
    if value.is_zero() {
        return Ok(value);
    }
    // 10^29 exceeds 96 bits, so a longer loop could only end in the same error.
    (0..scale.saturating_neg().min(MAX_SCALE + 1))
        .try_fold(value, |acc, _| acc.checked_mul(Decimal::TEN).ok_or_else(out_of_range))
}

/// Plain or scientific decimal text, exact.
pub fn decimal_from_text(text: &str) -> Result<Decimal, ValueError> {
    let trimmed = text.trim();
    let invalid = |reason: String| ValueError::InvalidDecimal { value: preview(text), reason };
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
fn decimal_from_double(number: &serde_json::Number, scale_hint: Option<u32>) -> Result<Decimal, ValueError> {
    let value = decimal_from_text(&number.to_string())?;
    Ok(match scale_hint {
        Some(scale) => {
            let mut rounded = value.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
            rounded.rescale(scale);
            rounded
        }
        None => value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn decimal_schema(scale: &str) -> ColumnSchema {
        ColumnSchema::from_json(&json!({
            "type": "bytes", "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
            "parameters": {"scale": scale, "connect.decimal.precision": "10"}, "field": "total"
        }))
        .unwrap()
    }

    #[test]
    fn bytes_are_big_endian_twos_complement() {
        assert_eq!(decimal_from_bytes(&[0x0F, 0x9E], 2).unwrap(), dec("39.98"));
        assert_eq!(decimal_from_bytes(&[0xF0, 0x62], 2).unwrap(), dec("-39.98"));
        assert_eq!(decimal_from_bytes(&[0xFF], 0).unwrap(), dec("-1"));
        assert_eq!(decimal_from_bytes(&[0x80], 0).unwrap(), dec("-128"));
        assert_eq!(decimal_from_bytes(&[0x00, 0x80], 0).unwrap(), dec("128"));
        assert_eq!(decimal_from_bytes(&[0x00], 2).unwrap(), Decimal::ZERO);
        assert_eq!(decimal_from_bytes(&[0x00], 2).unwrap().scale(), 2);
    }

    #[test]
    fn base64_matches_javas_biginteger_encoding() {
        assert_eq!(decimal_from_base64("D54=", 2).unwrap(), dec("39.98"));
        assert_eq!(decimal_from_base64("C7c=", 2).unwrap(), dec("29.99"));
        assert_eq!(decimal_from_base64("AA==", 2).unwrap(), dec("0.00"));
        // -0.01 is BigInteger(-1) = 0xFF.
        assert_eq!(decimal_from_base64("/w==", 2).unwrap(), dec("-0.01"));
    }

    #[test]
    fn redundant_sign_extension_is_accepted_and_width_is_limited() {
        let mut wide = vec![0xFF; 20];
        wide.push(0x85);
        assert_eq!(decimal_from_bytes(&wide, 0).unwrap(), dec("-123"));
        // 2^96 needs 13 bytes and fits i128 but not rust_decimal's 96-bit mantissa.
        let mut too_big = vec![0x01];
        too_big.extend([0u8; 12]);
        assert_eq!(decimal_from_bytes(&too_big, 0), Err(ValueError::DecimalOutOfRange { scale: 0 }));
        // 2^96 - 1 is the largest mantissa.
        assert_eq!(
            decimal_from_bytes(&[0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], 0)
                .unwrap(),
            Decimal::MAX
        );
        assert!(matches!(decimal_from_bytes(&[0x7F; 17], 0), Err(ValueError::DecimalOutOfRange { .. })));
        assert_eq!(decimal_from_bytes(&[], 2), Err(ValueError::EmptyDecimalBytes));
    }

    #[test]
    fn large_and_negative_scales() {
        assert_eq!(decimal_from_bytes(&[0x01], 28).unwrap(), dec("0.0000000000000000000000000001"));
        assert_eq!(decimal_from_bytes(&[0x01], 29), Err(ValueError::ScaleTooLarge(29)));
        // Trailing zeros make room: 100 × 10^-30 = 10^-28.
        assert_eq!(decimal_from_bytes(&[100], 30).unwrap(), dec("0.0000000000000000000000000001"));
        assert_eq!(decimal_from_bytes(&[0x05], -2).unwrap(), dec("500"));
        assert_eq!(decimal_from_bytes(&[0x00], -40).unwrap(), Decimal::ZERO);
        assert!(matches!(decimal_from_bytes(&[0x05], -40), Err(ValueError::DecimalOutOfRange { .. })));
        assert!(matches!(decimal_from_bytes(&[0x05], i64::MIN), Err(ValueError::DecimalOutOfRange { .. })));
        assert!(matches!(decimal_from_bytes(&[0x05], i64::MAX), Err(ValueError::ScaleTooLarge(_))));
    }

    #[test]
    fn malformed_base64_is_an_error_with_the_value() {
        let err = decimal_from_base64("D54", 2).unwrap_err();
        assert!(matches!(err, ValueError::InvalidBase64 { .. }));
        assert!(err.to_string().starts_with("invalid base64 \"D54\""), "{err}");
        assert!(matches!(decimal_from_base64("!!!!", 2), Err(ValueError::InvalidBase64 { .. })));
        assert_eq!(decimal_from_base64("", 2), Err(ValueError::EmptyDecimalBytes));
    }

    #[test]
    fn schema_scale_wins_over_the_hint() {
        let schema = decimal_schema("2");
        assert_eq!(decimal_from_json(&json!("D54="), Some(&schema), Some(4)).unwrap(), dec("39.98"));
        let err = decimal_from_json(&json!(39.98), Some(&schema), None).unwrap_err();
        assert_eq!(err, ValueError::WrongType { expected: "base64 decimal bytes", found: "a number" });
        // A schema without a usable scale falls back to the hint, then fails.
        let broken = decimal_schema("two");
        assert_eq!(decimal_from_json(&json!("D54="), Some(&broken), Some(2)).unwrap(), dec("39.98"));
        assert_eq!(decimal_from_json(&json!("D54="), Some(&broken), None), Err(ValueError::MissingScale));
    }

    #[test]
    fn variable_scale_decimal() {
        let schema = ColumnSchema::from_json(&json!({
            "type": "struct", "name": "io.debezium.data.VariableScaleDecimal", "field": "n"
        }))
        .unwrap();
        let value = json!({"scale": 3, "value": "D54="});
        assert_eq!(decimal_from_json(&value, Some(&schema), None).unwrap(), dec("3.998"));
        assert_eq!(decimal_from_json(&value, None, Some(2)).unwrap(), dec("3.998"));
        assert!(matches!(
            decimal_from_json(&json!({"scale": "3", "value": "D54="}), None, None),
            Err(ValueError::WrongType { .. })
        ));
    }

    #[test]
    fn text_mode_is_exact() {
        let string_schema = ColumnSchema::from_json(&json!({"type": "string", "field": "n"})).unwrap();
        assert_eq!(decimal_from_json(&json!("39.98"), None, None).unwrap(), dec("39.98"));
        assert_eq!(decimal_from_json(&json!("-0.00"), None, Some(2)).unwrap(), Decimal::ZERO);
        assert_eq!(decimal_from_json(&json!("1000"), Some(&string_schema), Some(2)).unwrap(), dec("1000"));
        assert_eq!(decimal_from_text("1.5E+3").unwrap(), dec("1500"));
        let err = decimal_from_json(&json!("NaN"), None, None).unwrap_err();
        assert!(err.to_string().starts_with("invalid decimal \"NaN\""), "{err}");
        assert!(decimal_from_text("1_000").is_err());
        assert!(decimal_from_text("").is_err());
    }

    #[test]
    fn schemaless_strings_follow_the_scale_hint() {
        // With a scale the caller declares precise bytes (0xD74D34); without one, text.
        assert_eq!(decimal_from_json(&json!("1000"), None, Some(0)).unwrap(), dec("-2667212"));
        assert_eq!(decimal_from_json(&json!("1000"), None, None).unwrap(), dec("1000"));
        assert_eq!(decimal_from_json(&json!("12.50"), None, Some(2)).unwrap(), dec("12.50"));
        assert_eq!(decimal_from_json(&json!("D54="), None, None), Err(ValueError::MissingScale));
    }

    #[test]
    fn doubles_round_to_the_hinted_scale() {
        assert_eq!(decimal_from_json(&json!(39.98), None, None).unwrap(), dec("39.98"));
        assert_eq!(decimal_from_json(&json!(0.1 + 0.2), None, Some(2)).unwrap(), dec("0.30"));
        assert_eq!(decimal_from_json(&json!(2.675), None, Some(2)).unwrap(), dec("2.68"));
        assert_eq!(decimal_from_json(&json!(-2.5), None, Some(0)).unwrap(), dec("-3"));
        assert_eq!(decimal_from_json(&json!(7), None, Some(2)).unwrap().to_string(), "7.00");
        assert_eq!(decimal_from_json(&json!(1e20), None, None).unwrap(), dec("100000000000000000000"));
        assert!(decimal_from_json(&json!(1e300), None, None).is_err());
    }

    #[test]
    fn other_json_types_are_rejected() {
        for value in [json!(true), json!([1]), json!(null)] {
            assert!(matches!(decimal_from_json(&value, None, Some(2)), Err(ValueError::WrongType { .. })), "{value}");
        }
    }
}
