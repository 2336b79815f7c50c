//! Browser-facing protections on every response: a Content-Security-Policy fit for the SPA and the dev issuer's
//! login page (scripts only from this origin; framing by this origin only, for the SPA's silent sign-in in a hidden
//! frame), `X-Content-Type-Options`, `Referrer-Policy`, and CORS limited to the configured origins (none by
//! default: the SPA is served from the same origin).

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

/// Scripts and connections only to this origin; styles may be inline (React style attributes, the login page);
/// covers may come from any https host; only this origin may frame us (the SPA's silent sign-in loads its callback
/// page in a hidden frame of its own).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; \
                   connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
                   frame-ancestors 'self'";

/// The layers that set the security headers (only where a handler did not set its own).
pub fn security_layers() -> [SetResponseHeaderLayer<HeaderValue>; 5] {
    [
        SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
        SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
        SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN")),
        SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ),
    ]
}

/// CORS for the listed origins only (e.g. a separately hosted SPA). An empty list allows no cross-origin calls.
pub fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> =
        origins.iter().filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
            HeaderName::from_static("x-csrf-token"),
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::LINK,
            HeaderName::from_static("x-total-count"),
            HeaderName::from_static("x-csrf-token"),
        ])
        .max_age(std::time::Duration::from_secs(600))
}
