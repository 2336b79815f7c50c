//! Request parameters parsed by hand so every rejection names the parameter (422), instead of serde's generic
//! "failed to deserialize query string".

use std::str::FromStr;

use axum::extract::{FromRequestParts, Path, RawQuery};
use axum::http::request::Parts;
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

/// Parses a comma-separated list of UUIDs, naming the parameter and the offending entry on error.
pub fn uuid_list(name: &str, raw: &str, max: usize) -> Result<Vec<Uuid>, ApiError> {
    let entries: Vec<&str> = raw.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if entries.is_empty() || entries.len() > max {
        return Err(ApiError::invalid_param(name, format!("must list 1 to {max} ids")));
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
