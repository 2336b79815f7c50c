//! `bookstore reconcile`: counts and sums per table in the sources beside the same in analytics, one row per table
//! in `cdc_reconciliation_log`, and whether anything drifted. Orders are also compared per status (a status change
//! that did not arrive leaves the totals equal but the statuses not), one row per status. It compares a moment of each database, so a change
//! still in flight shows as drift; run it when writes are quiet (or twice).

use rust_decimal::Decimal;
use sea_orm::sqlx::{self, PgPool, Row as _};
use serde::Serialize;

use crate::sources::topic::CapturedTable;

/// One table's comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TableReconciliation {
    /// The analytics table.
    pub table: String,
    pub source_count: i64,
    pub analytics_count: i64,
    pub source_sum: Decimal,
    pub analytics_sum: Decimal,
    pub drift: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    pub tables: Vec<TableReconciliation>,
}

impl ReconcileReport {
    pub fn has_drift(&self) -> bool {
        self.tables.iter().any(|t| t.drift)
    }
}

/// The count and the summed measure of a table, in its source and in analytics.
fn queries(table: CapturedTable) -> (&'static str, &'static str, &'static str) {
    match table {
        CapturedTable::Books => (
            "dim_books",
            "SELECT count(*), coalesce(sum(price), 0) FROM books",
            "SELECT count(*), coalesce(sum(price), 0) FROM dim_books",
        ),
        CapturedTable::Orders => (
            "fact_orders",
            "SELECT count(*), coalesce(sum(total), 0) FROM orders",
            "SELECT count(*), coalesce(sum(total), 0) FROM fact_orders",
        ),
        CapturedTable::OrderItems => (
            "fact_order_items",
            "SELECT count(*), coalesce(sum(quantity * price_at_purchase), 0) FROM order_items",
            "SELECT count(*), coalesce(sum(quantity * price_at_purchase), 0) FROM fact_order_items",
        ),
        CapturedTable::Inventory => (
            "fact_inventory",
            "SELECT count(*), coalesce(sum(quantity)::numeric, 0) FROM inventory",
            "SELECT count(*), coalesce(sum(quantity)::numeric, 0) FROM fact_inventory",
        ),
    }
}

/// A table's (or a part's) row count and summed measure.
type Measure = (i64, Decimal);

/// Orders per status: count and summed total.
async fn by_status(pool: &PgPool, table: &str) -> Result<std::collections::BTreeMap<String, Measure>, sqlx::Error> {
    let sql = format!("SELECT status, count(*), coalesce(sum(total), 0) FROM {table} GROUP BY status");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?;
    rows.iter().map(|row| Ok((row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?)))).collect()
}

async fn count_and_sum(pool: &PgPool, sql: &'static str) -> Result<Measure, sqlx::Error> {
    let row = sqlx::query(sql).fetch_one(pool).await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

async fn connect(url: &str) -> Result<PgPool, sqlx::Error> {
    crate::pg::options(1).connect(url).await
}

/// Compares every captured table and logs the result in `cdc_reconciliation_log`.
pub async fn reconcile(
    ecom_url: &str,
    inventory_url: &str,
    analytics_url: &str,
) -> Result<ReconcileReport, sqlx::Error> {
    let ecom = connect(ecom_url).await?;
    let inventory = connect(inventory_url).await?;
    let analytics = connect(analytics_url).await?;
    // (name, in the source, in analytics)
    let mut compared: Vec<(String, Measure, Measure)> = Vec::new();
    for table in CapturedTable::ALL {
        let (name, source_sql, analytics_sql) = queries(table);
        let source = if table == CapturedTable::Inventory { &inventory } else { &ecom };
        compared.push((
            name.to_owned(),
            count_and_sum(source, source_sql).await?,
            count_and_sum(&analytics, analytics_sql).await?,
        ));
        if table == CapturedTable::Orders {
            let (source, mut materialized) =
                (by_status(&ecom, "orders").await?, by_status(&analytics, "fact_orders").await?);
            for (status, counted) in source {
                let other = materialized.remove(&status).unwrap_or_default();
                compared.push((format!("{name}[{status}]"), counted, other));
            }
            for (status, other) in materialized {
                compared.push((format!("{name}[{status}]"), Default::default(), other));
            }
        }
    }
    let mut tables = Vec::new();
    for (name, (source_count, source_sum), (analytics_count, analytics_sum)) in compared {
        let drift = source_count != analytics_count || source_sum != analytics_sum;
        sqlx::query(
            "INSERT INTO cdc_reconciliation_log \
             (table_name, source_count, analytics_count, source_sum, analytics_sum, drift) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&name)
        .bind(source_count)
        .bind(analytics_count)
        .bind(source_sum)
        .bind(analytics_sum)
        .bind(drift)
        .execute(&analytics)
        .await?;
        tables.push(TableReconciliation {
            table: name,
            source_count,
            analytics_count,
            source_sum,
            analytics_sum,
            drift,
        });
    }
    Ok(ReconcileReport { tables })
}
