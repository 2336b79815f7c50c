//! Stock in the inventory database: reads, and every change to `quantity` and `reserved`.
//!
//! Each change is one conditional statement (or one short transaction), never read-then-write from the
//! application, so correctness holds across processes: `reserve` cannot take more than is available, `confirm`
//! and `release` act once per reservation however often they are retried.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait, Value,
};
use uuid::Uuid;

use crate::entity::inventory::stock;
use crate::types::{Page, PageRequest};

fn statement(sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

/// A reservation still holding stock.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct HeldReservation {
    pub checkout_id: Uuid,
    pub book_id: Uuid,
    pub quantity: i32,
    pub expires_at: DateTime<Utc>,
}

/// The outcome of an admin stock change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StockChange {
    Changed {
        before: stock::Model,
        after: stock::Model,
    },
    /// The new quantity would be below what checkouts hold.
    BelowReserved {
        reserved: i32,
    },
    /// The new quantity would be negative.
    Negative {
        quantity: i32,
    },
    NotFound,
}

/// Reads and writes of stock levels. Cheap to clone: the connection is a pool handle.
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

    pub async fn page(&self, request: PageRequest) -> Result<Page<stock::Model>, DbErr> {
        let total = stock::Entity::find().count(&self.db).await?;
        let items = stock::Entity::find()
            .order_by_asc(stock::Column::BookId)
            .offset(request.offset())
            .limit(u64::from(request.size()))
            .all(&self.db)
            .await?;
        Ok(Page { items, total, request })
    }

    /// Holds `quantity` units for a checkout if that many are available; `false` (and nothing held) otherwise.
    pub async fn reserve(
        &self,
        checkout_id: Uuid,
        book_id: Uuid,
        quantity: i32,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let held = self
            .db
            .query_one_raw(statement(
                "WITH held AS (
                     UPDATE inventory SET reserved = reserved + $3
                     WHERE book_id = $2 AND quantity - reserved >= $3
                     RETURNING book_id)
                 INSERT INTO reservations (checkout_id, book_id, quantity, expires_at)
                 SELECT $1, book_id, $3, $4 FROM held
                 RETURNING id",
                [checkout_id.into(), book_id.into(), quantity.into(), expires_at.into()],
            ))
            .await?;
        Ok(held.is_some())
    }

    /// Gives a checkout's held units back. Returns how many were released (0 when nothing was held).
    pub async fn release(&self, checkout_id: Uuid, book_id: Uuid) -> Result<i32, DbErr> {
        self.settle(checkout_id, book_id, "RELEASED", "reserved = i.reserved - s.quantity").await
    }

    /// Turns a checkout's held units into a sale: `quantity` and `reserved` both fall, exactly once.
    pub async fn confirm(&self, checkout_id: Uuid, book_id: Uuid) -> Result<i32, DbErr> {
        self.settle(
            checkout_id,
            book_id,
            "CONFIRMED",
            "quantity = i.quantity - s.quantity, reserved = i.reserved - s.quantity",
        )
        .await
    }

    /// Moves a HELD reservation to `status` and applies `change` to the stock row, in one statement; a second call
    /// finds nothing HELD and changes nothing.
    async fn settle(&self, checkout_id: Uuid, book_id: Uuid, status: &str, change: &str) -> Result<i32, DbErr> {
        let sql = format!(
            "WITH settled AS (
                 UPDATE reservations SET status = '{status}'
                 WHERE checkout_id = $1 AND book_id = $2 AND status = 'HELD'
                 RETURNING book_id, quantity),
             stock AS (
                 UPDATE inventory i SET {change} FROM settled s WHERE i.book_id = s.book_id
                 RETURNING s.quantity)
             SELECT coalesce(sum(quantity), 0)::int AS quantity FROM stock"
        );
        let row = self.db.query_one_raw(statement(&sql, [checkout_id.into(), book_id.into()])).await?;
        Ok(row.map(|r| r.try_get::<i32>("", "quantity")).transpose()?.unwrap_or(0))
    }

    /// Reservations still HELD that were made before `cutoff` (the sweeper's work list).
    pub async fn held_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<HeldReservation>, DbErr> {
        HeldReservation::find_by_statement(statement(
            "SELECT checkout_id, book_id, quantity, expires_at FROM reservations
             WHERE status = 'HELD' AND created_at < $1 ORDER BY created_at LIMIT 1000",
            [cutoff.into()],
        ))
        .all(&self.db)
        .await
    }

    pub async fn create(&self, book_id: Uuid, quantity: i32) -> Result<stock::Model, DbErr> {
        use sea_orm::ActiveValue::{NotSet, Set};
        let row =
            stock::ActiveModel { book_id: Set(book_id), quantity: Set(quantity), reserved: Set(0), updated_at: NotSet };
        stock::Entity::insert(row).exec_with_returning(&self.db).await
    }

    pub async fn delete(&self, book_id: Uuid) -> Result<bool, DbErr> {
        Ok(stock::Entity::delete_by_id(book_id).exec(&self.db).await?.rows_affected == 1)
    }

    /// Sets the units on hand; refused below what checkouts hold.
    pub async fn set_quantity(&self, book_id: Uuid, quantity: i32) -> Result<StockChange, DbErr> {
        self.change(book_id, |_| quantity).await
    }

    /// Adds `delta` (possibly negative) to the units on hand; refused if the result is negative or below reserved.
    pub async fn adjust(&self, book_id: Uuid, delta: i32) -> Result<StockChange, DbErr> {
        self.change(book_id, |current| current.saturating_add(delta)).await
    }

    async fn change(&self, book_id: Uuid, new_quantity: impl FnOnce(i32) -> i32) -> Result<StockChange, DbErr> {
        let txn = self.db.begin().await?;
        let Some(before) = stock::Entity::find_by_id(book_id).lock_exclusive().one(&txn).await? else {
            return Ok(StockChange::NotFound);
        };
        let quantity = new_quantity(before.quantity);
        if quantity < 0 {
            return Ok(StockChange::Negative { quantity });
        }
        if quantity < before.reserved {
            return Ok(StockChange::BelowReserved { reserved: before.reserved });
        }
        let after = stock::Model::find_by_statement(statement(
            "UPDATE inventory SET quantity = $2 WHERE book_id = $1 RETURNING *",
            [book_id.into(), quantity.into()],
        ))
        .one(&txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("stock of {book_id}")))?;
        txn.commit().await?;
        Ok(StockChange::Changed { before, after })
    }
}
