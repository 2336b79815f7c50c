//! Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document, plus the middleware
//! that measures every request.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde::Serialize;

use crate::edge::error::ApiError;
use crate::runtime::startup::AppState;

pub fn router(openapi: serde_json::Value) -> Router<AppState> {
    let document = openapi.to_string();
    Router::new()
        .route("/healthz", get(healthz))
        // Where upstream's inventory and ecom services answered liveness: probes written for them keep working.
        .route("/inven/health", get(healthz))
        .route("/ecom/actuator/health", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route(
            "/openapi.json",
            get(move || async move {
                ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], document)
            }),
        )
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

/// Liveness: the process is up and serving HTTP. Deliberately checks nothing else, so a database outage never
/// gets a healthy pod restarted.
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness: every database answers within a second, the shop's supervisor runs, and so does the materializer
/// when this process hosts one.
async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let deadline = Duration::from_secs(1);
    for (name, db) in state.databases.named() {
        match tokio::time::timeout(deadline, db.ping()).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                tracing::warn!(database = name, error = %err, "not ready");
                return Err(ApiError::Unavailable(format!("The {name} database is unreachable.")));
            }
            Err(_) => return Err(ApiError::Unavailable(format!("The {name} database did not answer in time."))),
        }
    }
    if let Some(materializer) = &state.materializer
        && !materializer.snapshot().is_healthy()
    {
        return Err(ApiError::Unavailable("The analytics materializer is not running.".to_owned()));
    }
    if !state.commerce.is_healthy() {
        return Err(ApiError::Unavailable("The shop's actors have stopped.".to_owned()));
    }
    Ok(Json(Health { status: "ready" }))
}

/// The process-wide Prometheus recorder. Installed once; every router in the process (tests build many) shares it.
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".to_owned()), &buckets)
            .expect("the bucket list is not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (an embedding program); then ours only renders its own.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

async fn metrics() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"))], prometheus().render())
}

/// Middleware: counts requests and records their latency per route template (never per raw path, which would let
/// a client create unbounded label values).
pub async fn track(request: Request, next: Next) -> Response {
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}

/// The operations endpoints of a standalone `bookstore materialize` process.
pub fn materializer_router(
    status: bookstore_materializer::StatusHandle,
    analytics: sea_orm::DatabaseConnection,
) -> Router {
    let readiness = move || {
        let (status, analytics) = (status.clone(), analytics.clone());
        async move {
            let snapshot = status.snapshot();
            let database = tokio::time::timeout(Duration::from_secs(1), analytics.ping()).await;
            if snapshot.is_healthy() && matches!(database, Ok(Ok(()))) {
                Ok(Json(Health { status: "ready" }))
            } else {
                Err(ApiError::Unavailable("The materializer or its analytics database is not ready.".to_owned()))
            }
        }
    };
    prometheus();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readiness))
        .route("/metrics", get(metrics))
        .fallback(crate::edge::error::not_found)
        .layer(axum::middleware::from_fn(track))
        .layer(axum::middleware::from_fn(crate::edge::error::problem_instance))
}
