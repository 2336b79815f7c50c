//! `bookstore reconcile`: counts and sums per table in the sources beside the same in analytics, one row per table
//! in `cdc_reconciliation_log`, and whether anything drifted. Every read goes through the repositories of
//! `bookstore-entities`, like every other read of the shop's tables. Orders are also compared per status (a status change
//! that did not arrive leaves the totals equal but the statuses not), one row per status. It compares a moment of each database, so a change
//! still in flight shows as drift; run it when writes are quiet (or twice).

use bookstore_entities::repo::Measure;
use bookstore_entities::repo::analytics::{AnalyticsRepo, Comparison};
use bookstore_entities::repo::catalog::CatalogRepo;
use bookstore_entities::repo::order::{OrderMeasures, OrderRepo};
use bookstore_entities::repo::stock::StockRepo;
use rust_decimal::Decimal;
use sea_orm::{ConnectOptions, Database, DbErr};
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

/// The measure of a source table and of its analytics table.
async fn compare(
    table: CapturedTable,
    catalog: &CatalogRepo,
    orders: &OrderMeasures,
    stock: &StockRepo,
    analytics: &AnalyticsRepo,
) -> Result<(&'static str, Measure, Measure), DbErr> {
    Ok(match table {
        CapturedTable::Books => ("dim_books", catalog.measure().await?, analytics.books().await?),
        CapturedTable::Orders => ("fact_orders", orders.orders, analytics.orders().await?),
        CapturedTable::OrderItems => ("fact_order_items", orders.items, analytics.order_items().await?),
        CapturedTable::Inventory => ("fact_inventory", stock.measure().await?, analytics.inventory().await?),
    })
}

/// Compares every captured table and logs the result in `cdc_reconciliation_log`.
pub async fn reconcile(ecom_url: &str, inventory_url: &str, analytics_url: &str) -> Result<ReconcileReport, DbErr> {
    let connect = |url: &str| {
        let mut options = ConnectOptions::new(url.to_owned());
        options.max_connections(1).sqlx_logging(false);
        Database::connect(options)
    };
    let (ecom, inventory, analytics) =
        (connect(ecom_url).await?, connect(inventory_url).await?, connect(analytics_url).await?);
    let (catalog, order_repo, stock) =
        (CatalogRepo::new(ecom.clone()), OrderRepo::new(ecom), StockRepo::new(inventory));
    let analytics = AnalyticsRepo::new(analytics);
    let orders = order_repo.measures().await?;
    // (name, in the source, in analytics)
    let mut compared: Vec<(String, Measure, Measure)> = Vec::new();
    for table in CapturedTable::ALL {
        let (name, source, materialized) = compare(table, &catalog, &orders, &stock, &analytics).await?;
        compared.push((name.to_owned(), source, materialized));
        if table == CapturedTable::Orders {
            let mut materialized = analytics.orders_by_status().await?;
            for (status, counted) in &orders.by_status {
                let other = materialized.remove(status).unwrap_or_default();
                compared.push((format!("{name}[{status}]"), *counted, other));
            }
            for (status, other) in materialized {
                compared.push((format!("{name}[{status}]"), Measure::default(), other));
            }
        }
    }
    let mut tables = Vec::new();
    for (name, source, materialized) in compared {
        let drift = source != materialized;
        analytics.log(&Comparison { table: &name, source, analytics: materialized, drift }).await?;
        tables.push(TableReconciliation {
            table: name,
            source_count: source.count,
            analytics_count: materialized.count,
            source_sum: source.sum,
            analytics_sum: materialized.sum,
            drift,
        });
    }
    Ok(ReconcileReport { tables })
}
