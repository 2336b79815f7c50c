//! HTTP caching for read endpoints: a strong ETag over the exact body bytes, `If-None-Match` → 304, and
//! `Cache-Control: no-cache` so clients always revalidate (cheaply) and never show a stale price.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::edge::error::ApiError;

/// A rendered JSON body with its ETag, ready to be served many times (the catalog cache stores these).
#[derive(Clone, Debug)]
pub struct CachedJson {
    body: Bytes,
    etag: HeaderValue,
}

impl CachedJson {
    pub fn render<T: Serialize>(value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value).map_err(|e| ApiError::Internal(e.into()))?;
        let etag = format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(&body));
        let etag = HeaderValue::from_str(&etag).map_err(|e| ApiError::Internal(e.into()))?;
        Ok(Self { body: Bytes::from(body), etag })
    }

    /// The body, or 304 when the client already holds this exact representation.
    pub fn respond(&self, request_headers: &HeaderMap) -> Response {
        let cache_control = HeaderValue::from_static("public, no-cache");
        if client_has(request_headers, &self.etag) {
            return (
                StatusCode::NOT_MODIFIED,
                [(header::ETAG, self.etag.clone()), (header::CACHE_CONTROL, cache_control)],
            )
                .into_response();
        }
        (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
                (header::ETAG, self.etag.clone()),
                (header::CACHE_CONTROL, cache_control),
            ],
            self.body.clone(),
        )
            .into_response()
    }
}

/// `If-None-Match` may list several tags, weak ones (`W/"…"`) included, or `*`.
fn client_has(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(ours) = etag.to_str() else { return false };
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|list| list.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revalidation_matches_listed_and_weak_tags() {
        let cached = CachedJson::render(&serde_json::json!({"a": 1})).unwrap();
        let tag = cached.etag.to_str().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        assert_eq!(cached.respond(&headers).status(), StatusCode::OK);
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&format!("\"x\", W/{tag}")).unwrap());
        assert_eq!(cached.respond(&headers).status(), StatusCode::NOT_MODIFIED);
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
        assert_eq!(cached.respond(&headers).status(), StatusCode::OK);
    }
}
