//! Stock in the inventory database: reads, and every change to `quantity` and `reserved`.
//!
//! Each change is one conditional statement (or one short transaction), never read-then-write from the
//! application, so correctness holds across processes: `reserve` cannot take more than is available, `confirm`
//! and `release` act once per reservation however often they are retried. The reservation work calls the
//! PL/pgSQL functions that decide under the stock row's lock (`stock_apply`, `stock_return`, in
//! `migration/src/sql/functions/inventory/`); reads and admin changes go through the entities.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait, Value,
};
use uuid::Uuid;

use super::id_list;
use crate::entity::inventory::{reservation, stock};
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

/// A checkout asking to hold units of a book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hold {
    pub checkout_id: Uuid,
    pub quantity: i32,
    pub expires_at: DateTime<Utc>,
}

/// A checkout's HELD reservation to settle: confirmed (sold) or released (given back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settle {
    pub checkout_id: Uuid,
    pub confirm: bool,
}

/// What [`StockRepo::apply`] did, in the order asked: units settled per settlement (0 when that reservation was
/// not HELD any more), and whether each hold was granted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReservationOutcome {
    pub settled: Vec<i32>,
    pub granted: Vec<bool>,
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

    /// Applies one book's queued reservation work in one statement (the `stock_apply` function, ADR 008), so many
    /// checkouts share one commit: first the settlements (confirming or releasing HELD reservations never lowers
    /// what is available), then the new holds, first come first served, each granted only if its units are still
    /// available.
    ///
    /// The stock row is locked for the decision and the table's CHECKs stand guard, so this stays correct when
    /// other processes work on the same book at the same time.
    pub async fn apply(&self, book_id: Uuid, settle: &[Settle], hold: &[Hold]) -> Result<ReservationOutcome, DbErr> {
        let list = |items: Vec<String>| items.join(",");
        let rows = self
            .db
            .query_all_raw(statement(
                "SELECT kind, checkout_id, confirm, units, granted, hold_index FROM stock_apply($1,
                     string_to_array($2, ',')::uuid[], string_to_array($3, ',')::boolean[],
                     string_to_array($4, ',')::uuid[], string_to_array($5, ',')::integer[],
                     string_to_array($6, ',')::timestamptz[])",
                [
                    book_id.into(),
                    id_list(settle.iter().map(|s| s.checkout_id)).into(),
                    list(settle.iter().map(|s| s.confirm.to_string()).collect()).into(),
                    id_list(hold.iter().map(|h| h.checkout_id)).into(),
                    list(hold.iter().map(|h| h.quantity.to_string()).collect()).into(),
                    list(hold.iter().map(|h| h.expires_at.to_rfc3339()).collect()).into(),
                ],
            ))
            .await?;
        let mut units: HashMap<(Uuid, bool), i32> = HashMap::new();
        let mut granted = vec![false; hold.len()];
        for row in rows {
            if row.try_get::<String>("", "kind")? == "hold" {
                let index: i64 = row.try_get("", "hold_index")?;
                if let Some(slot) = usize::try_from(index - 1).ok().and_then(|i| granted.get_mut(i)) {
                    *slot = row.try_get("", "granted")?;
                }
            } else {
                let key = (row.try_get("", "checkout_id")?, row.try_get("", "confirm")?);
                units.insert(key, row.try_get("", "units")?);
            }
        }
        // A reservation settles once: when the same one was asked twice, the first matching ask gets the units.
        let settled = settle.iter().map(|s| units.remove(&(s.checkout_id, s.confirm)).unwrap_or(0)).collect();
        Ok(ReservationOutcome { settled, granted })
    }

    /// Gives back what a cancelled order (`checkout_id`) holds or bought of one book, once (the `stock_return`
    /// function): a CONFIRMED reservation's units go back to `quantity`, a still HELD one's leave `reserved`.
    /// Returns the units given back; 0 when that reservation was settled this way before (or never existed).
    pub async fn give_back(&self, book_id: Uuid, checkout_id: Uuid) -> Result<i32, DbErr> {
        let rows = self
            .db
            .query_all_raw(statement(
                "SELECT units FROM stock_return($1, ARRAY[$2]::uuid[])",
                [book_id.into(), checkout_id.into()],
            ))
            .await?;
        rows.iter().map(|row| row.try_get::<i32>("", "units")).sum()
    }

    /// The stock rows and their units on hand (`bookstore reconcile`).
    pub async fn measure(&self) -> Result<super::Measure, DbErr> {
        super::measure::<stock::Entity>(&self.db, sea_orm::sea_query::Expr::col(stock::Column::Quantity), None).await
    }

    /// Reservations still HELD that were made before `cutoff` (the sweeper's work list).
    pub async fn held_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<HeldReservation>, DbErr> {
        reservation::Entity::find()
            .select_only()
            .columns([
                reservation::Column::CheckoutId,
                reservation::Column::BookId,
                reservation::Column::Quantity,
                reservation::Column::ExpiresAt,
            ])
            .filter(reservation::Column::Status.eq("HELD"))
            .filter(reservation::Column::CreatedAt.lt(cutoff))
            .order_by_asc(reservation::Column::CreatedAt)
            .limit(1000)
            .into_model::<HeldReservation>()
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
