//! When a view was last refreshed, and how long it took (`materializer_view_refreshes`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "materializer_view_refreshes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub view_name: String,
    pub refreshed_at: DateTimeWithTimeZone,
    pub duration_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
