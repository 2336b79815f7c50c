//! Public stock levels: `GET /inven/stock/{book_id}` and `GET /inven/stock/bulk?book_ids=a,b`.
//!
//! Not cached in process: stock moves with every checkout, so each read goes to the inventory database (a primary
//! key lookup). ETags still let a polling client revalidate for free. Field names are snake_case, as upstream.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use bookstore_entities::entity::inventory::stock;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::edge::error::{ApiError, Problem};
use crate::edge::http_cache::CachedJson;
use crate::edge::params::{IdPath, QueryParams, uuid_list};
use crate::runtime::startup::AppState;

/// The most ids one bulk request may ask for.
pub const BULK_MAX: usize = 50;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(bulk_stock)).routes(routes!(get_stock))
}

/// Stock of one book. `available` is what shoppers can still buy.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StockLevel {
    pub book_id: Uuid,
    pub quantity: i32,
    pub reserved: i32,
    pub available: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<stock::Model> for StockLevel {
    fn from(m: stock::Model) -> Self {
        Self {
            book_id: m.book_id,
            quantity: m.quantity,
            reserved: m.reserved,
            available: m.available(),
            updated_at: m.updated_at.with_timezone(&Utc),
        }
    }
}

/// Stock of one book.
#[utoipa::path(get, path = "/inven/stock/{book_id}", tag = "stock",
    params(("book_id" = Uuid, Path, description = "The book's id")),
    responses(
        (status = 200, body = StockLevel),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_stock(
    State(state): State<AppState>,
    IdPath(book_id): IdPath,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let row = state
        .stock
        .get(book_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("There is no stock record for book {book_id}.")))?;
    Ok(CachedJson::render(&StockLevel::from(row))?.respond(&headers))
}

/// Stock of up to 50 books at once; ids without a stock record are left out, and an empty list answers `[]`.
#[utoipa::path(get, path = "/inven/stock/bulk", tag = "stock",
    params(("book_ids" = String, Query, description = "Comma-separated book ids, at most 50 (none: `[]`)",
        pattern = r"^$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(,[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}){0,49}$")),
    responses(
        (status = 200, body = Vec<StockLevel>),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn bulk_stock(
    State(state): State<AppState>,
    params: QueryParams,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let ids = uuid_list("book_ids", params.require("book_ids")?, BULK_MAX)?;
    let rows = if ids.is_empty() { Vec::new() } else { state.stock.bulk(&ids).await? };
    let body: Vec<StockLevel> = rows.into_iter().map(StockLevel::from).collect();
    Ok(CachedJson::render(&body)?.respond(&headers))
}
