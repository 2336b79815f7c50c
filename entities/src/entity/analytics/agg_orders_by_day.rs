//! Orders that are not cancelled per UTC day (`agg_orders_by_day`), maintained by the facts' triggers (ADR 006).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agg_orders_by_day")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sale_date: Date,
    pub order_count: i64,
    #[sea_orm(column_type = "Decimal(None)")]
    pub revenue: Decimal,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
