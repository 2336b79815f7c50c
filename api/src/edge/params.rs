//! Request parameters parsed by hand so every rejection names the parameter (422), instead of serde's generic
//! "failed to deserialize query string".
//!
//! They accept exactly what the OpenAPI document declares (`crate::edge::openapi`), no more: ids are UUIDs written the
//! canonical way (36 characters with hyphens), numbers are taken as sent (no trimming), so a client generated from
//! the document and the server agree on every value.

use std::str::FromStr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request};
use axum::http::request::Parts;
use bookstore_entities::types::{PageRequest, Quantity};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::edge::error::ApiError;

/// The query string as name/value pairs. A repeated name keeps its first value.
#[derive(Debug, Default)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Parses an optional parameter, falling back to `default` when it is absent.
    pub fn parse_or<T: FromStr>(&self, name: &str, default: T, expected: &str) -> Result<T, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|_| ApiError::invalid_param(name, format!("must be {expected}"))),
        }
    }

    pub fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::invalid_param(name, "is required"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let RawQuery(raw) = RawQuery::from_request_parts(parts, state).await.unwrap_or(RawQuery(None));
        let pairs = raw
            .map(|q| form_urlencoded::parse(q.as_bytes()).map(|(n, v)| (n.into_owned(), v.into_owned())).collect())
            .unwrap_or_default();
        Ok(Self(pairs))
    }
}

/// A single UUID path segment. A malformed id is a 422 naming the parameter, not a bare 400.
#[derive(Clone, Copy, Debug)]
pub struct IdPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(segments) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("path without parameters: {e}")))?;
        let (name, raw) =
            segments.last().ok_or_else(|| ApiError::Internal(anyhow::anyhow!("route has no path parameter")))?;
        canonical_uuid(raw).map(IdPath).ok_or_else(|| ApiError::invalid_param(name.clone(), "must be a UUID"))
    }
}

/// A UUID in its canonical form (`8-4-4-4-12` hex digits), the only one the document's `format: uuid` allows.
pub fn canonical_uuid(raw: &str) -> Option<Uuid> {
    if raw.len() == 36 { Uuid::parse_str(raw).ok() } else { None }
}

/// Deserializes a body field holding a canonical UUID (see [`canonical_uuid`]).
pub fn uuid_field<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Uuid, D::Error> {
    let raw = <String as serde::Deserialize>::deserialize(deserializer)?;
    canonical_uuid(&raw).ok_or_else(|| serde::de::Error::custom("must be a UUID (8-4-4-4-12 hex digits)"))
}

/// Parses a comma-separated list of at most `max` UUIDs (an empty value is an empty list), naming the parameter and
/// the offending entry on error. Repeated ids count once.
pub fn uuid_list(name: &str, raw: &str, max: usize) -> Result<Vec<Uuid>, ApiError> {
    let entries: Vec<&str> = if raw.is_empty() { Vec::new() } else { raw.split(',').collect() };
    if entries.len() > max {
        return Err(ApiError::invalid_param(name, format!("must list at most {max} ids")));
    }
    let mut ids = Vec::with_capacity(entries.len());
    for entry in entries {
        let id = canonical_uuid(entry).ok_or_else(|| {
            let shown: String = entry.chars().take(40).collect();
            ApiError::invalid_param(name, format!("must hold only UUIDs; `{shown}` is not one"))
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// A JSON request body. Malformed JSON is 400, a missing `Content-Type: application/json` 415, and a well-formed
/// body with wrong or missing fields 422 naming the field.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(JsonRejection::JsonDataError(err)) => {
                // "Failed to deserialize the JSON body into the target type: quantity: invalid value…"
                let text = err.body_text();
                let detail = text.split_once("target type: ").map_or(text.as_str(), |(_, d)| d);
                let missing = detail.strip_prefix("missing field `").and_then(|rest| rest.split_once('`'));
                let (field, reason) = match detail.split_once(": ") {
                    _ if missing.is_some() => {
                        (missing.map(|(f, _)| f).unwrap_or("body").to_owned(), "is required".to_owned())
                    }
                    Some((field, reason)) if !field.contains(' ') => (field.to_owned(), reason.to_owned()),
                    _ => ("body".to_owned(), detail.to_owned()),
                };
                let reason = reason.split(" at line ").next().unwrap_or(&reason).to_owned();
                Err(ApiError::invalid_param(field, reason))
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType(
                "Send the body as JSON with `Content-Type: application/json`.".to_owned(),
            )),
            Err(other) => Err(ApiError::BadRequest(format!("The body is not valid JSON: {}", other.body_text()))),
        }
    }
}

/// A JSON body a client may leave out: no body at all stands for `T::default()`; a body is read as [`Body`] reads
/// it.
pub struct OptionalBody<T>(pub T);

/// More than any optional body of this API holds.
const OPTIONAL_BODY_LIMIT: usize = 64 * 1024;

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, OPTIONAL_BODY_LIMIT).await.map_err(|_| {
            ApiError::BadRequest(format!("The body could not be read (at most {OPTIONAL_BODY_LIMIT} bytes)."))
        })?;
        if bytes.is_empty() {
            return Ok(Self(T::default()));
        }
        let request = Request::from_parts(parts, axum::body::Body::from(bytes));
        Body::<T>::from_request(request, state).await.map(|Body(value)| Self(value))
    }
}

/// `page` (from 0) and `size` (1 to 100, default 20) of a listing.
pub fn page_request(params: &QueryParams) -> Result<PageRequest, ApiError> {
    let page = params.parse_or("page", 0u32, "a whole number from 0")?;
    let size = params.parse_or("size", 20u32, "a whole number from 1 to 100")?;
    PageRequest::new(page, size).map_err(|e| {
        let name = match e {
            bookstore_entities::types::PageError::Size => "size",
            bookstore_entities::types::PageError::Page => "page",
        };
        ApiError::invalid_param(name, e)
    })
}

/// A whole number as JSON Schema counts them: `3` or `3.0` (JSON has one number type, and some clients write every
/// number with a fraction), within `T`'s range.
fn whole<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    use serde::de::Error;
    let number = <serde_json::Number as serde::Deserialize>::deserialize(deserializer)?;
    let whole = match (number.as_i64(), number.as_f64()) {
        (Some(value), _) => Some(value),
        // Exactly representable, so the cast below is exact too.
        (None, Some(value)) if value.fract() == 0.0 && value.abs() < 9_007_199_254_740_992.0 => Some(value as i64),
        _ => None,
    };
    let whole = whole.ok_or_else(|| D::Error::custom(format!("must be a whole number, not {number}")))?;
    T::try_from(whole).map_err(|_| D::Error::custom(format!("{whole} is out of range")))
}

/// A body field holding a whole number (see [`whole`]).
pub fn whole_number<'de, D: serde::Deserializer<'de>, T: TryFrom<i64>>(deserializer: D) -> Result<T, D::Error> {
    whole(deserializer)
}

/// An optional body field holding a whole number or `null` (use with `#[serde(default)]`).
pub fn optional_whole_number<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    let value = <Option<serde_json::Number> as serde::Deserialize>::deserialize(deserializer)?;
    value.map(|number| whole(number).map_err(serde::de::Error::custom)).transpose()
}

/// A body field holding a cart quantity, 1 to 99, written as any whole number.
pub fn quantity_field<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Quantity, D::Error> {
    let value: i64 = whole(deserializer)?;
    Quantity::new(value).map_err(serde::de::Error::custom)
}

/// An optional body field that may be left out but not sent as `null` (use with `#[serde(default)]`).
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}
