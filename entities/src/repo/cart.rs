//! Cart lines in the ecom database (`cart_items`). The CartSession actor is the only caller: it writes through
//! here on every change so a restarted actor, or another replica, rebuilds the same cart.
//!
//! Each write is one statement written out in SQL, because it is more than the query builder says: it turns off
//! the wait for the WAL flush for its own transaction (ADR 010) and returns the line as it is now (an insert that
//! may turn into an increment, `ON CONFLICT`).

use sea_orm::prelude::DateTimeWithTimeZone;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use thiserror::Error;
use uuid::Uuid;

use super::{CHECK_VIOLATION, FOREIGN_KEY_VIOLATION, sql_state};
use crate::entity::ecom::cart_item;
use crate::types::Quantity;

#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct CartLine {
    pub id: Uuid,
    pub book_id: Uuid,
    pub quantity: i32,
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Debug, Error)]
pub enum AddError {
    #[error("no such book")]
    UnknownBook,
    #[error("a cart line holds at most {} copies", Quantity::MAX)]
    TooMany,
    #[error(transparent)]
    Db(#[from] DbErr),
}

const COLUMNS: &str = "id, book_id, quantity, created_at";

/// A row source that turns off waiting for the WAL flush for the statement's own (implicit) transaction: a cart
/// change is acknowledged once PostgreSQL has it in memory, not on disk. A database crash may forget the last
/// fraction of a second of cart changes — never an order, whose commit flushes everything before it — and every
/// cart write saves a disk flush wait (ADR 010). `set_config(…, true)` lasts until the end of the transaction.
const ASYNC_COMMIT: &str = "set_config('synchronous_commit', 'off', true)";

#[derive(Clone, Debug)]
pub struct CartRepo {
    db: DatabaseConnection,
}

impl CartRepo {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn lines(&self, user: &str) -> Result<Vec<CartLine>, DbErr> {
        cart_item::Entity::find()
            .select_only()
            .columns([
                cart_item::Column::Id,
                cart_item::Column::BookId,
                cart_item::Column::Quantity,
                cart_item::Column::CreatedAt,
            ])
            .filter(cart_item::Column::UserId.eq(user))
            .order_by_asc(cart_item::Column::CreatedAt)
            .order_by_asc(cart_item::Column::Id)
            .into_model::<CartLine>()
            .all(&self.db)
            .await
    }

    /// Adds copies of a book: a new line, or more copies on the existing line (one atomic statement). A new
    /// line's id is made here, time-ordered (ADR 012).
    pub async fn add(&self, user: &str, book_id: Uuid, quantity: Quantity) -> Result<CartLine, AddError> {
        let sql = format!(
            "INSERT INTO cart_items (id, user_id, book_id, quantity) SELECT $4, $1, $2, $3 FROM {ASYNC_COMMIT}
             ON CONFLICT (user_id, book_id) DO UPDATE SET quantity = cart_items.quantity + EXCLUDED.quantity
             RETURNING {COLUMNS}"
        );
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [user.into(), book_id.into(), quantity.get().into(), Uuid::now_v7().into()],
        );
        match CartLine::find_by_statement(statement).one(&self.db).await {
            Ok(Some(line)) => Ok(line),
            Ok(None) => Err(AddError::Db(DbErr::RecordNotInserted)),
            Err(err) => Err(match sql_state(&err).as_deref() {
                Some(FOREIGN_KEY_VIOLATION) => AddError::UnknownBook,
                Some(CHECK_VIOLATION) => AddError::TooMany,
                _ => AddError::Db(err),
            }),
        }
    }

    /// Sets a line's quantity; `None` when the user has no such line.
    pub async fn set(&self, user: &str, item_id: Uuid, quantity: Quantity) -> Result<Option<CartLine>, DbErr> {
        let sql = format!(
            "UPDATE cart_items SET quantity = $3 FROM {ASYNC_COMMIT} WHERE id = $1 AND user_id = $2 RETURNING {COLUMNS}"
        );
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [item_id.into(), user.into(), quantity.get().into()],
        );
        CartLine::find_by_statement(statement).one(&self.db).await
    }

    /// Removes a line; `false` when the user has no such line.
    pub async fn remove(&self, user: &str, item_id: Uuid) -> Result<bool, DbErr> {
        use sea_orm::ConnectionTrait;
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("DELETE FROM cart_items USING {ASYNC_COMMIT} WHERE id = $1 AND user_id = $2"),
            [item_id.into(), user.into()],
        );
        Ok(self.db.execute_raw(statement).await?.rows_affected() == 1)
    }
}
