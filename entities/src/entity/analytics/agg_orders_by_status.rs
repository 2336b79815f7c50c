//! Orders per status (`agg_orders_by_status`), maintained by the facts' triggers (ADR 006).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agg_orders_by_status")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub status: String,
    pub order_count: i64,
    #[sea_orm(column_type = "Decimal(None)")]
    pub revenue: Decimal,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
