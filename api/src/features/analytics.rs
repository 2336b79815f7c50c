//! Analytics for admins: one materialized view as rows (`GET /analytics/views/{name}`) and how fresh the data is
//! (`GET /analytics/freshness`). The materializer keeps both up to date; this only reads.

use axum::Json;
use axum::extract::{Path, State};
use bookstore_materializer::{Freshness, ViewData, ViewError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::edge::error::{ApiError, Problem};
use crate::identity::auth::Admin;
use crate::runtime::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_view)).routes(routes!(get_freshness))
}

fn view_error(err: ViewError) -> ApiError {
    match err {
        ViewError::UnknownView(name) => ApiError::not_found(format!(
            "There is no analytics view {name:?}; the views are {}.",
            bookstore_materializer::VIEWS.iter().map(|(v, _)| *v).collect::<Vec<_>>().join(", ")
        )),
        ViewError::Database(err) => ApiError::Unavailable(format!("The analytics database did not answer: {err}")),
    }
}

/// The rows of one `vw_*` materialized view, and when it was last refreshed.
#[utoipa::path(get, path = "/analytics/views/{name}", tag = "analytics", security(("bearer" = [])),
    params(("name" = String, Path, description = "One of the views docs/API.md lists, or vw_cdc_latency")),
    responses(
        (status = 200, body = Object, description = "{name, refreshedAt, rows}"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_view(
    State(state): State<AppState>,
    _admin: Admin,
    Path(name): Path<String>,
) -> Result<Json<ViewData>, ApiError> {
    Ok(Json(bookstore_materializer::view(&state.databases.analytics, &name).await.map_err(view_error)?))
}

/// Seconds between the newest source commit and its arrival in analytics.
#[utoipa::path(get, path = "/analytics/freshness", tag = "analytics", security(("bearer" = [])),
    responses((status = 200, body = Object, description = "{freshnessSeconds, newestSourceCommitAt, arrivedAt}")))]
pub async fn get_freshness(State(state): State<AppState>, _admin: Admin) -> Result<Json<Freshness>, ApiError> {
    Ok(Json(bookstore_materializer::freshness(&state.databases.analytics).await.map_err(view_error)?))
}
