//! What `bookstore reconcile` reads and writes in the analytics database: the star schema's measures, beside the
//! sources' (each repository's `measure`), and the log of each comparison (`cdc_reconciliation_log`).
//!
//! The materializer's writes (batches, `COPY`, the summaries' triggers) are not here: they are the sink's, written
//! in SQL for the bulk paths they take (`materializer/src/sink/`).

use std::collections::BTreeMap;

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QuerySelect};

use super::{Measure, measure};
use crate::entity::analytics::{cdc_reconciliation, dim_book, fact_inventory, fact_order, fact_order_item};

/// Analytics' side of each comparison. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AnalyticsRepo {
    db: DatabaseConnection,
}

/// One comparison as logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comparison<'a> {
    pub table: &'a str,
    pub source: Measure,
    pub analytics: Measure,
    pub drift: bool,
}

impl AnalyticsRepo {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// `dim_books`: books and the sum of their prices.
    pub async fn books(&self) -> Result<Measure, DbErr> {
        measure::<dim_book::Entity>(&self.db, Expr::col(dim_book::Column::Price), None).await
    }

    /// `fact_orders`: orders and the sum of their totals.
    pub async fn orders(&self) -> Result<Measure, DbErr> {
        measure::<fact_order::Entity>(&self.db, Expr::col(fact_order::Column::Total), None).await
    }

    /// `fact_orders` per status.
    pub async fn orders_by_status(&self) -> Result<BTreeMap<String, Measure>, DbErr> {
        let statuses: Vec<String> = fact_order::Entity::find()
            .select_only()
            .column(fact_order::Column::Status)
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut by_status = BTreeMap::new();
        for status in statuses {
            let filter = Some(fact_order::Column::Status.eq(status.as_str()));
            by_status.insert(
                status,
                measure::<fact_order::Entity>(&self.db, Expr::col(fact_order::Column::Total), filter).await?,
            );
        }
        Ok(by_status)
    }

    /// `fact_order_items`: lines and the sum of quantity × price paid.
    pub async fn order_items(&self) -> Result<Measure, DbErr> {
        let value =
            Expr::col(fact_order_item::Column::Quantity).mul(Expr::col(fact_order_item::Column::PriceAtPurchase));
        measure::<fact_order_item::Entity>(&self.db, value, None).await
    }

    /// `fact_inventory`: stock rows and their units on hand.
    pub async fn inventory(&self) -> Result<Measure, DbErr> {
        measure::<fact_inventory::Entity>(&self.db, Expr::col(fact_inventory::Column::Quantity), None).await
    }

    /// Writes one comparison to `cdc_reconciliation_log`.
    pub async fn log(&self, comparison: &Comparison<'_>) -> Result<(), DbErr> {
        let row = cdc_reconciliation::ActiveModel {
            id: NotSet,
            run_at: NotSet,
            table_name: Set(comparison.table.to_owned()),
            source_count: Set(comparison.source.count),
            analytics_count: Set(comparison.analytics.count),
            source_sum: Set(Some(comparison.source.sum)),
            analytics_sum: Set(Some(comparison.analytics.sum)),
            drift: Set(comparison.drift),
        };
        cdc_reconciliation::Entity::insert(row).exec_without_returning(&self.db).await.map(|_| ())
    }
}
