//! Stock reads over `inventory` in the inventory database.

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entity::inventory::stock;

/// Reads of stock levels. Cheap to clone: the connection is a pool handle.
#[derive(Clone, Debug)]
pub struct StockRepo {
    db: DatabaseConnection,
}

impl StockRepo {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn get(&self, book_id: Uuid) -> Result<Option<stock::Model>, DbErr> {
        stock::Entity::find_by_id(book_id).one(&self.db).await
    }

    /// The stock rows of the given books that exist, in id order; unknown ids are simply absent.
    pub async fn bulk(&self, book_ids: &[Uuid]) -> Result<Vec<stock::Model>, DbErr> {
        stock::Entity::find()
            .filter(stock::Column::BookId.is_in(book_ids.iter().copied()))
            .order_by_asc(stock::Column::BookId)
            .all(&self.db)
            .await
    }
}
