//! Security headers on every response, and CORS for configured origins only.

use crate::helpers::spawn_app;

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/ecom/books?size=1", "/no/such/route", "/healthz", "/ecom/cart"] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'self'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert!(headers.contains_key("referrer-policy"), "{path}");
        assert_eq!(headers["x-frame-options"], "SAMEORIGIN", "{path}");
    }
}

#[tokio::test]
async fn cors_answers_configured_origins_only() {
    let app = spawn_app().await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/ecom/cart"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type, x-csrf-token")
            .send()
    };
    let allowed = preflight("https://shop.example").await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://shop.example");
    let allowed_headers = allowed.headers()["access-control-allow-headers"].to_str().unwrap().to_lowercase();
    assert!(allowed_headers.contains("x-csrf-token"), "{allowed_headers}");
    let foreign = preflight("https://evil.example").await.unwrap();
    assert!(!foreign.headers().contains_key("access-control-allow-origin"), "no CORS grant for unknown origins");
}
