//! One table's comparison by `bookstore reconcile` (`cdc_reconciliation_log`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cdc_reconciliation_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_at: DateTimeWithTimeZone,
    pub table_name: String,
    pub source_count: i64,
    pub analytics_count: i64,
    #[sea_orm(column_type = "Decimal(None)")]
    pub source_sum: Option<Decimal>,
    #[sea_orm(column_type = "Decimal(None)")]
    pub analytics_sum: Option<Decimal>,
    pub drift: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
