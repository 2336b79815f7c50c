//! Request parameters parsed by hand so every rejection names the parameter (422), instead of serde's generic
//! "failed to deserialize query string".

use std::str::FromStr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, RawQuery, Request};
use axum::http::request::Parts;
use bookstore_entities::types::PageRequest;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::ApiError;

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
            Some(raw) => raw.trim().parse().map_err(|_| ApiError::invalid_param(name, format!("must be {expected}"))),
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
        Uuid::parse_str(raw).map(IdPath).map_err(|_| ApiError::invalid_param(name.clone(), "must be a UUID"))
    }
}

/// Parses a comma-separated list of at most `max` UUIDs (an empty list is empty), naming the parameter and the
/// offending entry on error.
pub fn uuid_list(name: &str, raw: &str, max: usize) -> Result<Vec<Uuid>, ApiError> {
    let entries: Vec<&str> = raw.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if entries.len() > max {
        return Err(ApiError::invalid_param(name, format!("must list at most {max} ids")));
    }
    let mut ids = Vec::with_capacity(entries.len());
    for entry in entries {
        let id = Uuid::parse_str(entry).map_err(|_| {
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
