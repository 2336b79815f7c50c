//! Stock of one book (`inventory`): units on hand and units held by checkouts in flight.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inventory")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub book_id: Uuid,
    pub quantity: i32,
    pub reserved: i32,
    pub updated_at: DateTimeWithTimeZone,
}

impl Model {
    /// Units a shopper can still buy. The database guarantees `reserved <= quantity`; `max` keeps the promise even
    /// for a row read mid-migration.
    pub fn available(&self) -> i32 {
        (self.quantity - self.reserved).max(0)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
