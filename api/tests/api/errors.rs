//! Every failure is RFC 9457 problem+json, whichever layer produced it.

use axum::Router;
use axum::routing::get;
use bookstore_api::AppState;

use crate::helpers::{Options, assert_problem, spawn, spawn_app};

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let app = spawn_app().await;
    let problem = assert_problem(app.get("/no/such/thing").await, 404).await;
    assert!(problem["detail"].as_str().unwrap().contains("/no/such/thing"));
    assert_problem(app.get("/ecom").await, 404).await;
}

#[tokio::test]
async fn wrong_methods_are_405_problems() {
    let app = spawn_app().await;
    let response = app.client.delete(app.url("/ecom/books")).send().await.unwrap();
    assert_problem(response, 405).await;
}

async fn boom(uri: axum::http::Uri) -> &'static str {
    if uri.path() == "/boom" {
        panic!("secret connection string postgres://x:y@z");
    }
    "unreachable"
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_problem_without_internals() {
    let routes: Router<AppState> = Router::new().route("/boom", get(boom));
    let app = spawn(Options { extra: routes, ..Default::default() }).await;
    let response = app.get("/boom").await;
    let problem = assert_problem(response, 500).await;
    let text = problem.to_string();
    assert!(!text.contains("secret") && !text.contains("postgres://"), "{text}");
    // The server survives the panic.
    assert_eq!(app.get("/healthz").await.status(), 200);
}
