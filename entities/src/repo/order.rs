//! Orders in the ecom database. Placing an order is one transaction: the order, its lines at today's prices, the
//! `order.created` outbox event and the removal of the bought cart lines commit together or not at all; so is each
//! later move (status, history line, outbox event).
//!
//! Reads go through the entities and the query builder. Placing and moving an order are each one statement written
//! out in SQL: data-modifying CTEs make every write of the step one round trip and one commit, with the decision
//! (is the cart still exactly these lines, may the order move) inside the statement.

use std::collections::HashMap;

use rust_decimal::Decimal;
use sea_orm::prelude::DateTimeWithTimeZone;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement, Value,
};
use thiserror::Error;
use uuid::Uuid;

use super::{UNIQUE_VIOLATION, sql_state};
use crate::entity::ecom::{book, order, order_item};
use crate::types::{OrderStatus, Page, PageRequest};

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
    /// Set when the order shipped (either may be absent).
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub items: Vec<OrderLine>,
}

/// One step of an order's life: the placing (from the order row), then each move (`order_history`).
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct HistoryEntry {
    pub status: String,
    pub at: DateTimeWithTimeZone,
    /// The shopper's or the admin's user id.
    pub actor: String,
    pub note: Option<String>,
}

/// What `bookstore reconcile` compares of the orders (see [`super::Measure`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderMeasures {
    /// Orders and the sum of their totals.
    pub orders: super::Measure,
    /// Order lines and the sum of quantity × price paid.
    pub items: super::Measure,
    /// Orders and their totals per status.
    pub by_status: std::collections::BTreeMap<String, super::Measure>,
}

/// A move asked of an order.
#[derive(Clone, Debug)]
pub struct Move<'a> {
    pub order_id: Uuid,
    pub to: OrderStatus,
    /// The user asking; with `owner_only`, the order must be theirs (else it is not found).
    pub actor: &'a str,
    pub owner_only: bool,
    pub note: Option<&'a str>,
    /// Shipment details (a ship move), kept when absent.
    pub carrier: Option<&'a str>,
    pub tracking_number: Option<&'a str>,
}

/// What a [`Move`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Moved {
    /// The order moved; the move's history line and outbox event committed with it.
    Done(OrderRecord),
    /// The order already had the asked status: nothing changed (a retried request).
    Already(OrderRecord),
    /// The order's status does not lead to the asked one.
    Refused {
        current: OrderStatus,
    },
    NotFound,
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
            carrier: None,
            tracking_number: None,
            items,
        })
    }

    pub async fn get(&self, id: Uuid) -> Result<Option<OrderRecord>, DbErr> {
        let row = order::Entity::find_by_id(id).one(&self.db).await?;
        Ok(self.with_lines(row.into_iter().collect()).await?.pop())
    }

    pub async fn find_by_key(&self, user_id: &str, key: &str) -> Result<Option<OrderRecord>, DbErr> {
        let row = order::Entity::find()
            .filter(order::Column::UserId.eq(user_id))
            .filter(order::Column::IdempotencyKey.eq(key))
            .one(&self.db)
            .await?;
        Ok(self.with_lines(row.into_iter().collect()).await?.pop())
    }

    /// Orders newest first: one user's, or everyone's when `user_id` is `None` (admin).
    pub async fn page(&self, user_id: Option<&str>, request: PageRequest) -> Result<Page<OrderRecord>, DbErr> {
        self.page_in(user_id, None, request).await
    }

    /// [`OrderRepo::page`], only those in `status` when it is given.
    pub async fn page_in(
        &self,
        user_id: Option<&str>,
        status: Option<OrderStatus>,
        request: PageRequest,
    ) -> Result<Page<OrderRecord>, DbErr> {
        let mut query = order::Entity::find();
        if let Some(user) = user_id {
            query = query.filter(order::Column::UserId.eq(user));
        }
        if let Some(status) = status {
            query = query.filter(order::Column::Status.eq(status.as_str()));
        }
        let total = query.clone().count(&self.db).await?;
        let rows = query
            .order_by_desc(order::Column::CreatedAt)
            .order_by_desc(order::Column::Id)
            .offset(request.offset())
            .limit(u64::from(request.size()))
            .all(&self.db)
            .await?;
        Ok(Page { items: self.with_lines(rows).await?, total, request })
    }

    /// The orders and their totals, the lines and their value, and the orders per status (`bookstore reconcile`).
    pub async fn measures(&self) -> Result<OrderMeasures, DbErr> {
        let orders = super::measure::<order::Entity>(&self.db, Expr::col(order::Column::Total), None).await?;
        let value = Expr::col(order_item::Column::Quantity).mul(Expr::col(order_item::Column::PriceAtPurchase));
        let items = super::measure::<order_item::Entity>(&self.db, value, None).await?;
        let mut by_status = std::collections::BTreeMap::new();
        let statuses: Vec<String> = order::Entity::find()
            .select_only()
            .column(order::Column::Status)
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await?;
        for status in statuses {
            let filter = Some(order::Column::Status.eq(status.as_str()));
            by_status.insert(
                status,
                super::measure::<order::Entity>(&self.db, Expr::col(order::Column::Total), filter).await?,
            );
        }
        Ok(OrderMeasures { orders, items, by_status })
    }

    /// The status of each of these orders that exists (the reservation sweeper asks: did that checkout's order
    /// commit, and was it cancelled since?).
    pub async fn statuses(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, DbErr> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(Uuid, String)> = order::Entity::find()
            .select_only()
            .columns([order::Column::Id, order::Column::Status])
            .filter(order::Column::Id.is_in(ids.iter().copied()))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Moves an order to another status, in one statement (one round trip, one commit): the order row is locked,
    /// and only when its status leads to the asked one are the new status, the history line and the outbox event
    /// written (ids made here, time-ordered, ADR 012). Otherwise nothing is written and the answer says why.
    pub async fn transition(&self, change: &Move<'_>) -> Result<Moved, DbErr> {
        #[derive(FromQueryResult)]
        struct Row {
            before: String,
            moved: bool,
        }
        let from: Vec<String> = change.to.previous().iter().map(|s| s.as_str().to_owned()).collect();
        let row = Row::find_by_statement(statement(
            "WITH target AS (
                 SELECT id, status FROM orders
                 WHERE id = $1 AND (NOT $3 OR user_id = $2)
                 FOR UPDATE),
             moved AS (
                 UPDATE orders o
                 SET status = $4, carrier = coalesce($7, o.carrier), tracking_number = coalesce($8, o.tracking_number)
                 FROM target t
                 WHERE o.id = t.id AND t.status = ANY(string_to_array($5, ','))
                 RETURNING o.id, o.user_id, o.status, o.updated_at, o.carrier, o.tracking_number),
             history AS (
                 INSERT INTO order_history (id, order_id, status, actor, note)
                 SELECT $9, id, status, $2, $6 FROM moved),
             event AS (
                 INSERT INTO outbox (id, aggregate_type, aggregate_id, event_type, payload)
                 SELECT $10, 'order', id, $11, jsonb_build_object(
                     'orderId', id, 'userId', user_id, 'status', status, 'at', updated_at, 'actor', $2::text,
                     'note', $6::text, 'carrier', carrier, 'trackingNumber', tracking_number)
                 FROM moved)
             SELECT t.status AS before, EXISTS (SELECT 1 FROM moved) AS moved FROM target t",
            [
                change.order_id.into(),
                change.actor.into(),
                change.owner_only.into(),
                change.to.as_str().into(),
                from.join(",").into(),
                change.note.map(str::to_owned).into(),
                change.carrier.map(str::to_owned).into(),
                change.tracking_number.map(str::to_owned).into(),
                Uuid::now_v7().into(),
                Uuid::now_v7().into(),
                change.to.event_type().into(),
            ],
        ))
        .one(&self.db)
        .await?;
        let Some(row) = row else { return Ok(Moved::NotFound) };
        let current: OrderStatus =
            row.before.parse().map_err(|_| DbErr::Custom(format!("unknown order status {}", row.before)))?;
        if !row.moved && current != change.to {
            return Ok(Moved::Refused { current });
        }
        let order =
            self.get(change.order_id).await?.ok_or_else(|| DbErr::RecordNotFound(change.order_id.to_string()))?;
        Ok(if row.moved { Moved::Done(order) } else { Moved::Already(order) })
    }

    /// The order's life so far, oldest first: its placing, then every move. (In SQL: the placing comes from the
    /// order row and the moves from `order_history`, one `UNION` in one round trip.)
    pub async fn history(&self, order_id: Uuid) -> Result<Vec<HistoryEntry>, DbErr> {
        HistoryEntry::find_by_statement(statement(
            "SELECT 'CONFIRMED' AS status, created_at AS at, user_id AS actor, NULL::text AS note, 0 AS step, NULL::uuid AS id
             FROM orders WHERE id = $1
             UNION ALL
             SELECT status, created_at, actor, note, 1, id FROM order_history WHERE order_id = $1
             ORDER BY step, at, id",
            [order_id.into()],
        ))
        .all(&self.db)
        .await
    }

    /// Cancelled orders whose units are not back in stock yet, cancelled before `cutoff` (the sweeper's list).
    pub async fn cancelled_unreturned(&self, cutoff: DateTimeWithTimeZone) -> Result<Vec<OrderRecord>, DbErr> {
        let rows = order::Entity::find()
            .filter(order::Column::Status.eq(OrderStatus::Cancelled.as_str()))
            .filter(order::Column::StockReturnedAt.is_null())
            .filter(order::Column::UpdatedAt.lt(cutoff))
            .order_by_asc(order::Column::UpdatedAt)
            .limit(100)
            .all(&self.db)
            .await?;
        self.with_lines(rows).await
    }

    /// Records that a cancelled order's units are back in stock (once; later calls change nothing).
    pub async fn mark_stock_returned(&self, order_id: Uuid) -> Result<(), DbErr> {
        order::Entity::update_many()
            .col_expr(order::Column::StockReturnedAt, Expr::current_timestamp())
            .filter(order::Column::Id.eq(order_id))
            .filter(order::Column::Status.eq(OrderStatus::Cancelled.as_str()))
            .filter(order::Column::StockReturnedAt.is_null())
            .exec(&self.db)
            .await
            .map(|_| ())
    }

    /// Whether a cancelled order's units are back in stock.
    pub async fn stock_returned(&self, order_id: Uuid) -> Result<bool, DbErr> {
        let returned = order::Entity::find_by_id(order_id)
            .filter(order::Column::StockReturnedAt.is_not_null())
            .count(&self.db)
            .await?;
        Ok(returned > 0)
    }

    async fn with_lines(&self, rows: Vec<order::Model>) -> Result<Vec<OrderRecord>, DbErr> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let lines = order_item::Entity::find()
            .select_only()
            .columns([order_item::Column::OrderId, order_item::Column::BookId, order_item::Column::Quantity])
            .column(order_item::Column::PriceAtPurchase)
            .column(book::Column::Title)
            .inner_join(book::Entity)
            .filter(order_item::Column::OrderId.is_in(rows.iter().map(|r| r.id)))
            .order_by_asc(book::Column::Title)
            .order_by_asc(order_item::Column::BookId)
            .into_model::<LineRow>()
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
                carrier: r.carrier,
                tracking_number: r.tracking_number,
            })
            .collect())
    }
}
