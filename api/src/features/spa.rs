//! Serves the web app (`web/dist`) at `/`: real files as they are, and every other path a browser asks a page for
//! (`Accept: text/html`) as `index.html`, so the SPA's router can draw it (its own 404 page included). Anything
//! else nothing serves is a 404 problem: paths that belong to the API never fall through to the SPA, and a client
//! asking for JSON gets JSON, as upstream's clients expect.

use std::path::{Path, PathBuf};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::edge::error;
use crate::runtime::startup::AppState;

/// Path prefixes owned by the backend.
const API_PREFIXES: [&str; 9] =
    ["/ecom", "/inven", "/analytics", "/auth", "/csrf", "/healthz", "/readyz", "/metrics", "/openapi.json"];

fn is_api_path(path: &str) -> bool {
    API_PREFIXES.iter().any(|prefix| path == *prefix || path.strip_prefix(prefix).is_some_and(|r| r.starts_with('/')))
}

/// The router's fallback: the web app's files and page routes, a 404 problem for everything else.
pub async fn fallback(State(state): State<AppState>, request: Request) -> Response {
    let serves_pages = matches!(*request.method(), Method::GET | Method::HEAD);
    match state.web_dir.as_deref() {
        Some(dir) if serves_pages && !is_api_path(request.uri().path()) => serve(dir, request).await,
        _ => error::not_found(request).await.into_response(),
    }
}

/// Whether the client asks for a page: browsers navigating send `Accept: text/html,…`.
fn wants_page(request: &Request) -> bool {
    request
        .headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|accept| accept.split(',').any(|range| range.split(';').next().is_some_and(|t| t.trim() == "text/html")))
}

async fn serve(dir: &Path, request: Request) -> Response {
    let hashed_asset = request.uri().path().starts_with("/assets/");
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let served = if wants_page(&request) {
        ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html"))).oneshot(request).await
    } else {
        ServeDir::new(dir).oneshot(request).await
    };
    let mut response = match served {
        Ok(response) => response.into_response(),
        Err(infallible) => match infallible {},
    };
    if response.status() == StatusCode::NOT_FOUND {
        return error::nothing_at(&method, &path).into_response();
    }
    // Vite puts a content hash in every asset name, so those never change; index.html must always revalidate.
    let cache = if hashed_asset { "public, max-age=31536000, immutable" } else { "no-cache" };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// The built web app to serve, if there is one.
pub fn locate(configured: Option<PathBuf>) -> Option<PathBuf> {
    let dir = configured.unwrap_or_else(|| PathBuf::from("web/dist"));
    if dir.join("index.html").is_file() {
        Some(dir)
    } else {
        tracing::warn!(dir = %dir.display(), "no built web app found (run `npm run build` in web/); serving the API only");
        None
    }
}

#[cfg(test)]
mod tests {
    use super::is_api_path;

    #[test]
    fn api_paths_never_fall_through_to_the_spa() {
        for path in ["/ecom", "/ecom/books", "/inven/stock/x", "/auth/authorize", "/metrics", "/openapi.json"] {
            assert!(is_api_path(path), "{path}");
        }
        for path in ["/", "/books/1", "/ecommerce", "/orders", "/admin/books/new", "/assets/app.js"] {
            assert!(!is_api_path(path), "{path}");
        }
    }
}
