//! Liveness, readiness, metrics and the OpenAPI document.

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    assert_eq!(app.get_json("/healthz").await, (reqwest::StatusCode::OK, serde_json::json!({"status": "ok"})));
    assert_eq!(app.get_json("/readyz").await.0, 200);
}

#[tokio::test]
async fn readiness_fails_when_a_database_is_gone_but_liveness_does_not() {
    let app = spawn_app().await;
    app.databases.drop_database(crate::helpers::Service::Inventory).await;
    let problem = assert_problem(app.get("/readyz").await, 503).await;
    assert!(problem["detail"].as_str().unwrap().contains("inventory"), "{problem}");
    assert_eq!(app.get("/healthz").await.status(), 200);
    // Reads that need the database are 503 too, not 500.
    let stock = app.get("/inven/stock/00000000-0000-0000-0000-000000000001").await;
    assert_problem(stock, 503).await;
}

#[tokio::test]
async fn metrics_count_requests_per_route_template() {
    let app = spawn_app().await;
    app.get("/ecom/books?size=2").await;
    app.get("/ecom/books/00000000-0000-0000-0000-000000000001").await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("http_requests_total{method=\"GET\",route=\"/ecom/books\",status=\"200\"}"), "{metrics}");
    assert!(metrics.contains("route=\"/ecom/books/{id}\""), "raw ids must not become labels");
    assert!(metrics.contains("http_request_duration_seconds_bucket"), "latency histogram missing");
}

#[tokio::test]
async fn openapi_document_lists_the_endpoints() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/ecom/books", "/ecom/books/search", "/ecom/books/{id}", "/inven/stock/{book_id}", "/inven/stock/bulk"]
    {
        assert!(doc["paths"].get(path).is_some(), "{path} missing from the OpenAPI document");
    }
    assert!(doc["components"]["schemas"].get("Book").is_some());
}
