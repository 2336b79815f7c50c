//! Orders in the ecom database. Placing an order is one transaction: the order, its lines at today's prices, the
//! `order.created` outbox event and the removal of the bought cart lines commit together or not at all.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sea_orm::prelude::DateTimeWithTimeZone;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult, Statement, Value};
use thiserror::Error;
use uuid::Uuid;

use super::{UNIQUE_VIOLATION, id_list, sql_state};
use crate::types::{Page, PageRequest};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderLine {
    pub book_id: Uuid,
    pub title: String,
    pub quantity: i32,
    pub price_at_purchase: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRecord {
    pub id: Uuid,
    pub user_id: String,
    pub total: Decimal,
    pub status: String,
    pub created_at: DateTimeWithTimeZone,
    pub items: Vec<OrderLine>,
}

#[derive(Debug, FromQueryResult)]
struct OrderRow {
    id: Uuid,
    user_id: String,
    total: Decimal,
    status: String,
    created_at: DateTimeWithTimeZone,
}

#[derive(Debug, FromQueryResult)]
struct LineRow {
    order_id: Uuid,
    book_id: Uuid,
    title: String,
    quantity: i32,
    price_at_purchase: Decimal,
}

/// A line of a just-placed order; `total` and `created_at` are empty when the order was not placed.
#[derive(Debug, FromQueryResult)]
struct PlacedRow {
    book_id: Uuid,
    title: String,
    quantity: i32,
    price: Decimal,
    total: Option<Decimal>,
    created_at: Option<DateTimeWithTimeZone>,
}

/// What a checkout asks to record: the order id (the saga's id, also on its reservations) and the lines.
#[derive(Clone, Debug)]
pub struct NewOrder<'a> {
    pub id: Uuid,
    pub user_id: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub lines: &'a [(Uuid, i32)],
}

#[derive(Debug, Error)]
pub enum PlaceError {
    #[error("this idempotency key already has an order")]
    DuplicateKey,
    #[error("books no longer in the catalog: {0:?}")]
    MissingBooks(Vec<Uuid>),
    /// The cart in the database no longer holds exactly the lines asked for (changed through another replica).
    #[error("the cart changed")]
    CartChanged,
    #[error(transparent)]
    Db(#[from] DbErr),
}

const ORDER_COLUMNS: &str = "id, user_id, total, status, created_at";

fn statement(sql: impl Into<String>, values: impl IntoIterator<Item = Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql.into(), values)
}

#[derive(Clone, Debug)]
pub struct OrderRepo {
    db: DatabaseConnection,
}

impl OrderRepo {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Places the order in one statement (one round trip, one commit): today's prices are read with the books
    /// locked against deletion, and only when every book is still there and the shopper's cart holds exactly the
    /// lines asked for are the order, its lines, the `order.created` outbox event written and the cart lines
    /// removed. The caller may take the lines from memory (the CartSession actor's copy): a cart changed
    /// elsewhere is caught here, never ordered. The answer needs nothing more. The new rows' ids are made here,
    /// time-ordered like the order's own (ADR 012).
    pub async fn place(&self, order: &NewOrder<'_>) -> Result<OrderRecord, PlaceError> {
        let list = |f: &dyn Fn(&(Uuid, i32)) -> String| order.lines.iter().map(f).collect::<Vec<_>>().join(",");
        let rows = PlacedRow::find_by_statement(statement(
            "WITH wanted AS (
                 SELECT * FROM unnest(string_to_array($4, ',')::uuid[], string_to_array($5, ',')::int[],
                                      string_to_array($6, ',')::uuid[])
                     AS w(book_id, quantity, item_id)),
             cart AS (
                 -- As many cart lines as wanted lines, each equal to one of them.
                 SELECT count(*) = (SELECT count(*) FROM wanted) AND count(w.book_id) = count(*) AS matches
                 FROM cart_items c LEFT JOIN wanted w USING (book_id, quantity)
                 WHERE c.user_id = $2),
             priced AS (
                 SELECT w.book_id, w.quantity, w.item_id, b.title, b.price
                 FROM wanted w JOIN books b ON b.id = w.book_id
                 FOR KEY SHARE OF b),
             complete AS (
                 SELECT sum(price * quantity) AS total FROM priced
                 HAVING count(*) = (SELECT count(*) FROM wanted) AND (SELECT matches FROM cart)),
             placed AS (
                 INSERT INTO orders (id, user_id, total, status, idempotency_key)
                 SELECT $1, $2, total, 'CONFIRMED', $3 FROM complete
                 RETURNING id, total, created_at),
             lines AS (
                 INSERT INTO order_items (id, order_id, book_id, quantity, price_at_purchase)
                 SELECT p.item_id, placed.id, p.book_id, p.quantity, p.price FROM placed, priced p),
             event AS (
                 INSERT INTO outbox (id, aggregate_type, aggregate_id, event_type, payload)
                 SELECT $7, 'order', placed.id, 'order.created', jsonb_build_object(
                     'orderId', placed.id, 'userId', $2::text, 'total', placed.total::text,
                     'items', (SELECT jsonb_agg(jsonb_build_object(
                                   'bookId', book_id, 'quantity', quantity, 'priceAtPurchase', price::text)
                               ORDER BY book_id) FROM priced))
                 FROM placed),
             bought AS (
                 DELETE FROM cart_items
                 WHERE user_id = $2 AND book_id IN (SELECT book_id FROM wanted) AND EXISTS (SELECT 1 FROM placed))
             SELECT p.book_id, p.title, p.quantity, p.price, placed.total, placed.created_at
             FROM priced p LEFT JOIN placed ON true",
            [
                order.id.into(),
                order.user_id.into(),
                order.idempotency_key.map(str::to_owned).into(),
                list(&|(id, _)| id.to_string()).into(),
                list(&|(_, q)| q.to_string()).into(),
                list(&|_| Uuid::now_v7().to_string()).into(),
                Uuid::now_v7().into(),
            ],
        ))
        .all(&self.db)
        .await;
        let rows = match rows {
            Ok(rows) => rows,
            Err(err) if sql_state(&err).as_deref() == Some(UNIQUE_VIOLATION) => return Err(PlaceError::DuplicateKey),
            Err(err) => return Err(PlaceError::Db(err)),
        };
        let placed = rows.first().and_then(|row| Some((row.total?, row.created_at?)));
        let Some((total, created_at)) = placed else {
            // Either a book is gone from the catalog (named, also when its cart line went with it) or the cart
            // no longer holds exactly these lines.
            let found: Vec<Uuid> = rows.iter().map(|row| row.book_id).collect();
            let missing: Vec<Uuid> = order.lines.iter().map(|(id, _)| *id).filter(|id| !found.contains(id)).collect();
            return Err(if missing.is_empty() { PlaceError::CartChanged } else { PlaceError::MissingBooks(missing) });
        };
        let mut items: Vec<OrderLine> = rows
            .into_iter()
            .map(|row| OrderLine {
                book_id: row.book_id,
                title: row.title,
                quantity: row.quantity,
                price_at_purchase: row.price,
            })
            .collect();
        items.sort_by(|a, b| (&a.title, a.book_id).cmp(&(&b.title, b.book_id)));
        Ok(OrderRecord {
            id: order.id,
            user_id: order.user_id.to_owned(),
            total,
            status: "CONFIRMED".to_owned(),
            created_at,
            items,
        })
    }

    pub async fn get(&self, id: Uuid) -> Result<Option<OrderRecord>, DbErr> {
        let row = OrderRow::find_by_statement(statement(
            format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"),
            [id.into()],
        ))
        .one(&self.db)
        .await?;
        Ok(self.with_lines(row.into_iter().collect()).await?.pop())
    }

    pub async fn find_by_key(&self, user_id: &str, key: &str) -> Result<Option<OrderRecord>, DbErr> {
        let row = OrderRow::find_by_statement(statement(
            format!("SELECT {ORDER_COLUMNS} FROM orders WHERE user_id = $1 AND idempotency_key = $2"),
            [user_id.into(), key.into()],
        ))
        .one(&self.db)
        .await?;
        Ok(self.with_lines(row.into_iter().collect()).await?.pop())
    }

    /// Orders newest first: one user's, or everyone's when `user_id` is `None` (admin).
    pub async fn page(&self, user_id: Option<&str>, request: PageRequest) -> Result<Page<OrderRecord>, DbErr> {
        let (filter, values): (&str, Vec<Value>) = match user_id {
            Some(user) => ("WHERE user_id = $1", vec![user.into()]),
            None => ("", vec![]),
        };
        let total = self
            .db
            .query_one_raw(statement(format!("SELECT count(*) AS n FROM orders {filter}"), values.clone()))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        let rows = OrderRow::find_by_statement(statement(
            format!(
                "SELECT {ORDER_COLUMNS} FROM orders {filter} ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}",
                request.size(),
                request.offset()
            ),
            values,
        ))
        .all(&self.db)
        .await?;
        Ok(Page { items: self.with_lines(rows).await?, total: u64::try_from(total).unwrap_or(0), request })
    }

    /// Which of these order ids exist (the reservation sweeper asks: did that checkout's order commit?).
    pub async fn existing(&self, ids: &[Uuid]) -> Result<Vec<Uuid>, DbErr> {
        #[derive(FromQueryResult)]
        struct Id {
            id: Uuid,
        }
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = Id::find_by_statement(statement(
            "SELECT id FROM orders WHERE id = ANY(string_to_array($1, ',')::uuid[])",
            [id_list(ids.iter().copied()).into()],
        ))
        .all(&self.db)
        .await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    async fn with_lines(&self, rows: Vec<OrderRow>) -> Result<Vec<OrderRecord>, DbErr> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let lines = LineRow::find_by_statement(statement(
            "SELECT i.order_id, i.book_id, b.title, i.quantity, i.price_at_purchase
             FROM order_items i JOIN books b ON b.id = i.book_id
             WHERE i.order_id = ANY(string_to_array($1, ',')::uuid[]) ORDER BY b.title, i.book_id",
            [id_list(rows.iter().map(|r| r.id)).into()],
        ))
        .all(&self.db)
        .await?;
        let mut by_order: HashMap<Uuid, Vec<OrderLine>> = HashMap::new();
        for l in lines {
            by_order.entry(l.order_id).or_default().push(OrderLine {
                book_id: l.book_id,
                title: l.title,
                quantity: l.quantity,
                price_at_purchase: l.price_at_purchase,
            });
        }
        Ok(rows
            .into_iter()
            .map(|r| OrderRecord {
                items: by_order.remove(&r.id).unwrap_or_default(),
                id: r.id,
                user_id: r.user_id,
                total: r.total,
                status: r.status,
                created_at: r.created_at,
            })
            .collect())
    }
}
