//! Units and revenue sold per book (`agg_sales_by_book`), maintained by the facts' triggers (ADR 006).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agg_sales_by_book")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub book_id: Uuid,
    pub lines: i64,
    pub units_sold: i64,
    #[sea_orm(column_type = "Decimal(None)")]
    pub revenue: Decimal,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
