//! Reading the analytics views for the API: one view by name (validated against the known list), and how fresh
//! the analytics data is. The views are plain views over summary tables kept current by triggers (ADR 006).

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use sea_orm::sqlx::{self, Row as _};
use serde::Serialize;
use serde_json::{Map, Value};

/// The business views of docs/API.md, with the column(s) their rows are ordered by.
pub const VIEWS: [(&str, &str); 10] = [
    ("vw_product_sales_volume", "units_sold DESC, title"),
    ("vw_sales_over_time", "sale_date"),
    ("vw_revenue_by_author", "revenue DESC, author"),
    ("vw_revenue_by_genre", "revenue DESC, genre"),
    ("vw_order_status_distribution", "status"),
    ("vw_inventory_health", "available, title"),
    ("vw_avg_order_value", "sale_date"),
    ("vw_top_books_by_revenue", "revenue_rank, title"),
    ("vw_inventory_turnover", "turnover_rate_pct DESC, title"),
    ("vw_book_price_distribution", "band_order"),
];

/// Every view whose last change the refresher records: the ten business views and `vw_cdc_latency`.
pub const REFRESHED_VIEWS: [&str; 11] = [
    "vw_product_sales_volume",
    "vw_sales_over_time",
    "vw_revenue_by_author",
    "vw_revenue_by_genre",
    "vw_order_status_distribution",
    "vw_inventory_health",
    "vw_avg_order_value",
    "vw_top_books_by_revenue",
    "vw_inventory_turnover",
    "vw_book_price_distribution",
    "vw_cdc_latency",
];

/// The content of one view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewData {
    pub name: String,
    /// When the materializer last refreshed it (`None` if never since the view was created).
    pub refreshed_at: Option<DateTime<Utc>>,
    /// One JSON object per row, column name → value (numerics as JSON numbers).
    pub rows: Vec<Map<String, Value>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("unknown view {0:?}")]
    UnknownView(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

fn pool(db: &DatabaseConnection) -> &sqlx::PgPool {
    db.get_postgres_connection_pool()
}

/// Reads one `vw_*` view. Names outside [`VIEWS`] (plus `vw_cdc_latency`) are rejected before any SQL runs.
pub async fn view(analytics: &DatabaseConnection, name: &str) -> Result<ViewData, ViewError> {
    let order = VIEWS
        .iter()
        .find(|(view, _)| *view == name)
        .map(|(_, order)| *order)
        .or((name == "vw_cdc_latency").then_some("created_at DESC"))
        .ok_or_else(|| ViewError::UnknownView(name.to_owned()))?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT to_jsonb(v) AS row FROM {name} v ORDER BY {order}")))
        .fetch_all(pool(analytics))
        .await?;
    let rows = rows
        .iter()
        .map(|row| match row.try_get::<Value, _>("row")? {
            Value::Object(object) => Ok(object),
            _ => Ok(Map::new()),
        })
        .collect::<Result<_, sqlx::Error>>()?;
    let refreshed_at = sqlx::query_scalar("SELECT refreshed_at FROM materializer_view_refreshes WHERE view_name = $1")
        .bind(name)
        .fetch_optional(pool(analytics))
        .await?;
    Ok(ViewData { name: name.to_owned(), refreshed_at, rows })
}

/// How fresh analytics is: the newest source commit applied, when it arrived, and the gap between them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Freshness {
    /// Seconds between the newest source commit and its arrival in analytics (`None` before the first change).
    pub freshness_seconds: Option<f64>,
    pub newest_source_commit_at: Option<DateTime<Utc>>,
    pub arrived_at: Option<DateTime<Utc>>,
}

pub async fn freshness(analytics: &DatabaseConnection) -> Result<Freshness, ViewError> {
    let row = sqlx::query(
        "SELECT source_commit_at, arrived_at, extract(epoch FROM arrived_at - source_commit_at)::float8 AS gap \
         FROM materializer_freshness ORDER BY source_commit_at DESC LIMIT 1",
    )
    .fetch_optional(pool(analytics))
    .await?;
    Ok(match row {
        None => Freshness { freshness_seconds: None, newest_source_commit_at: None, arrived_at: None },
        Some(row) => Freshness {
            freshness_seconds: row.try_get::<Option<f64>, _>("gap")?.map(|gap| gap.max(0.0)),
            newest_source_commit_at: row.try_get("source_commit_at")?,
            arrived_at: row.try_get("arrived_at")?,
        },
    })
}

/// Recomputes the summary tables behind the views from the star-schema tables (`agg_rebuild()`, ADR 006): after
/// a bulk load that bypassed the triggers, and in tests that compare the incremental result with a full
/// computation.
pub async fn rebuild_views(pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT agg_rebuild()").execute(pool).await?;
    Ok(())
}

/// Marks the summaries stale so that a bulk load may defer their deltas (`agg_defer()`, ADR 006 "Bulk loads").
/// Commits on its own, before the load: a load that dies half-way leaves the mark, and the next materializer
/// start or replay rebuilds the summaries.
pub async fn defer_summaries(pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT agg_defer()").execute(pool).await?;
    Ok(())
}

/// Whether a bulk load left the summaries stale (deferred and not rebuilt yet).
pub async fn summaries_stale(pool: &sqlx::PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT stale_since IS NOT NULL FROM agg_status").fetch_one(pool).await
}

/// Records that the views changed (`materializer_view_refreshes`, reported as `refreshedAt`). There is nothing to
/// recompute: the views read summary tables that the fact tables' triggers keep current in the same transaction
/// as the facts (ADR 006).
pub async fn refresh_views(pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
    let views: Vec<String> = REFRESHED_VIEWS.iter().map(|v| (*v).to_owned()).collect();
    sqlx::query(
        "INSERT INTO materializer_view_refreshes (view_name, refreshed_at, duration_ms) \
         SELECT view_name, now(), 0 FROM unnest($1::text[]) AS v(view_name) \
         ON CONFLICT (view_name) DO UPDATE SET refreshed_at = excluded.refreshed_at, duration_ms = 0",
    )
    .bind(views)
    .execute(pool)
    .await?;
    Ok(())
}
