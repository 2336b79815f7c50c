//! An order as analytics knows it (`fact_orders`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fact_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_id: Uuid,
    pub user_id: String,
    #[sea_orm(column_type = "Decimal(Some((12, 2)))")]
    pub total: Decimal,
    pub status: String,
    pub created_at: DateTimeWithTimeZone,
    pub source_lsn: i64,
    pub synced_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
