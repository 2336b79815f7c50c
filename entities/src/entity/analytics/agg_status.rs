//! Whether the summaries are stale after a bulk load (`agg_status`, one row).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agg_status")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub only_row: bool,
    pub stale_since: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
