//! Decoded change events turned into what one analytics table needs: a keyed upsert, a delete, or a truncate.
//!
//! Each captured table maps to one star-schema table (`books` → `dim_books`, `orders` → `fact_orders`,
//! `order_items` → `fact_order_items`, `inventory` → `fact_inventory`). Column reads use the source's SQL types as
//! hints, so schemaless records decode too. A text column whose value the source did not send (unchanged TOAST)
//! becomes `None`, and the sink keeps the stored value.
//!
//! Ordering: the sink keeps, per key, the WAL position of the change that produced the row. PostgreSQL row locks
//! make the change LSNs of one key increase in commit order (a second writer waits for the first to commit), so
//! the change LSN alone orders the changes of a key. Snapshot reads are stored at position 0: any streamed change
//! is newer than them.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::decode::column::{ColumnValue, Row};
use crate::decode::envelope::{ChangeEvent, Op, RowChange};
use crate::decode::error::DecodeError;
use crate::decode::temporal::TimeUnit;
use crate::sources::topic::CapturedTable;

/// A row of `dim_books`. Text columns are `None` when the source sent the unchanged-TOAST placeholder.
#[derive(Debug, Clone, PartialEq)]
pub struct BookRow {
    pub book_id: Uuid,
    pub title: Option<String>,
    pub author: Option<String>,
    pub price: Decimal,
    pub genre: Option<String>,
    pub isbn: Option<String>,
    pub published_year: Option<i32>,
    pub created_at: Option<DateTime<Utc>>,
}

/// A row of `fact_orders`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRow {
    pub order_id: Uuid,
    pub user_id: Option<String>,
    pub total: Decimal,
    pub status: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A row of `fact_order_items`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderItemRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub book_id: Uuid,
    pub quantity: i32,
    pub price_at_purchase: Decimal,
}

/// A row of `fact_inventory`.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryRow {
    pub book_id: Uuid,
    pub quantity: i32,
    pub reserved: i32,
    pub updated_at: DateTime<Utc>,
}

/// The new content of one analytics row.
#[derive(Debug, Clone, PartialEq)]
pub enum TableRow {
    Book(BookRow),
    Order(OrderRow),
    OrderItem(OrderItemRow),
    Inventory(InventoryRow),
}

impl TableRow {
    /// Takes the values this row lacks (unchanged TOAST) from an older image of the same row.
    pub fn fill_unavailable(&mut self, older: &TableRow) {
        fn fill(newer: &mut Option<String>, older: &Option<String>) {
            if newer.is_none() {
                newer.clone_from(older);
            }
        }
        match (self, older) {
            (TableRow::Book(newer), TableRow::Book(older)) => {
                fill(&mut newer.title, &older.title);
                fill(&mut newer.author, &older.author);
                fill(&mut newer.genre, &older.genre);
                fill(&mut newer.isbn, &older.isbn);
            }
            (TableRow::Order(newer), TableRow::Order(older)) => {
                fill(&mut newer.user_id, &older.user_id);
                fill(&mut newer.status, &older.status);
            }
            _ => {}
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChangeKind {
    Upsert(TableRow),
    Delete,
}

/// One keyed change for an analytics table.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyedChange {
    pub key: Uuid,
    /// The change LSN (0 for snapshot reads); see the module docs.
    pub position: i64,
    pub commit_time: Option<DateTime<Utc>>,
    pub kind: ChangeKind,
}

/// What a decoded event asks of its table.
#[derive(Debug, Clone, PartialEq)]
pub enum TableChange {
    Keyed(KeyedChange),
    /// Remove every row produced before `position`.
    Truncate {
        position: i64,
    },
    /// Carries nothing for the table (tombstone, heartbeat, transaction marker, logical message).
    Ignored,
}

impl TableChange {
    /// Maps a decoded event of `table`'s topic or relation to a table change.
    pub fn from_event(table: CapturedTable, event: &ChangeEvent) -> Result<Self, DecodeError> {
        match event {
            ChangeEvent::Row(change) => keyed(table, change).map(TableChange::Keyed),
            ChangeEvent::Truncate(truncate) => Ok(TableChange::Truncate {
                position: crate::decode::position::Position::of(&truncate.source).map_or(0, |p| lsn_i64(p.lsn)),
            }),
            ChangeEvent::Tombstone { .. }
            | ChangeEvent::Heartbeat { .. }
            | ChangeEvent::Transaction(_)
            | ChangeEvent::Message(_) => Ok(TableChange::Ignored),
        }
    }
}

pub(crate) fn lsn_i64(lsn: u64) -> i64 {
    i64::try_from(lsn).unwrap_or(i64::MAX)
}

fn keyed(table: CapturedTable, change: &RowChange) -> Result<KeyedChange, DecodeError> {
    let position = if change.op == Op::Read || change.source.snapshot.is_snapshot() {
        0
    } else {
        change.position().map_or(0, |p| lsn_i64(p.lsn))
    };
    let commit_time = change.source.commit_time();
    let key_column = match table {
        CapturedTable::Inventory => "book_id",
        _ => "id",
    };
    let (key, kind) = match (&change.op, &change.after) {
        (Op::Delete, _) => {
            let image = change
                .key
                .as_ref()
                .filter(|key| key.contains(key_column))
                .or(change.before.as_ref())
                .ok_or(DecodeError::MissingRowImage { op: "d", field: "before" })?;
            (required(image.uuid(key_column), key_column)?, ChangeKind::Delete)
        }
        (_, Some(after)) => {
            let row = table_row(table, after)?;
            (row_key(&row), ChangeKind::Upsert(row))
        }
        (op, None) => return Err(DecodeError::MissingRowImage { op: op.code(), field: "after" }),
    };
    Ok(KeyedChange { key, position, commit_time, kind })
}

pub(crate) fn row_key(row: &TableRow) -> Uuid {
    match row {
        TableRow::Book(book) => book.book_id,
        TableRow::Order(order) => order.order_id,
        TableRow::OrderItem(item) => item.id,
        TableRow::Inventory(stock) => stock.book_id,
    }
}

/// A value the analytics column cannot do without: NULL or the TOAST placeholder is an error.
fn required<T>(read: Result<ColumnValue<T>, DecodeError>, column: &str) -> Result<T, DecodeError> {
    match read? {
        ColumnValue::Value(value) => Ok(value),
        ColumnValue::Null => Err(DecodeError::MissingField { field: format!("after.{column}") }),
        ColumnValue::Unavailable => Err(DecodeError::MissingField { field: format!("after.{column} (unavailable)") }),
    }
}

/// A text column: `None` keeps the stored value (unchanged TOAST); NULL in a NOT NULL column is an error.
fn text(row: &Row, column: &str) -> Result<Option<String>, DecodeError> {
    match row.string(column)? {
        ColumnValue::Value(value) => Ok(Some(value)),
        ColumnValue::Unavailable => Ok(None),
        ColumnValue::Null => Err(DecodeError::MissingField { field: format!("after.{column}") }),
    }
}

fn int32(row: &Row, column: &str) -> Result<i32, DecodeError> {
    let value = required(row.i64(column), column)?;
    i32::try_from(value).map_err(|_| DecodeError::Column {
        column: column.to_owned(),
        reason: crate::decode::error::ValueError::IntegerOutOfRange(value.to_string()),
    })
}

fn table_row(table: CapturedTable, after: &Row) -> Result<TableRow, DecodeError> {
    let micros = Some(TimeUnit::Micros);
    Ok(match table {
        CapturedTable::Books => TableRow::Book(BookRow {
            book_id: required(after.uuid("id"), "id")?,
            title: text(after, "title")?,
            author: text(after, "author")?,
            price: required(after.decimal("price", Some(2)), "price")?,
            genre: if after.contains("genre") { text(after, "genre")? } else { Some(String::new()) },
            isbn: text(after, "isbn")?,
            published_year: match after.column("published_year") {
                None => None,
                Some(_) => after.i64("published_year")?.value().and_then(|year| i32::try_from(year).ok()),
            },
            created_at: match after.column("created_at") {
                None => None,
                Some(_) => after.timestamp("created_at", micros)?.value(),
            },
        }),
        CapturedTable::Orders => TableRow::Order(OrderRow {
            order_id: required(after.uuid("id"), "id")?,
            user_id: text(after, "user_id")?,
            total: required(after.decimal("total", Some(2)), "total")?,
            status: text(after, "status")?,
            created_at: required(after.timestamp("created_at", micros), "created_at")?,
        }),
        CapturedTable::OrderItems => TableRow::OrderItem(OrderItemRow {
            id: required(after.uuid("id"), "id")?,
            order_id: required(after.uuid("order_id"), "order_id")?,
            book_id: required(after.uuid("book_id"), "book_id")?,
            quantity: int32(after, "quantity")?,
            price_at_purchase: required(after.decimal("price_at_purchase", Some(2)), "price_at_purchase")?,
        }),
        CapturedTable::Inventory => TableRow::Inventory(InventoryRow {
            book_id: required(after.uuid("book_id"), "book_id")?,
            quantity: int32(after, "quantity")?,
            reserved: int32(after, "reserved")?,
            updated_at: required(after.timestamp("updated_at", micros), "updated_at")?,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(topic: &str, payload: serde_json::Value) -> ChangeEvent {
        ChangeEvent::from_kafka(topic, None, Some(payload.to_string().as_bytes())).unwrap()
    }

    fn source(lsn: u64, snapshot: &str) -> serde_json::Value {
        json!({"connector": "postgresql", "name": "ecom-connector", "db": "ecom", "schema": "public",
               "table": "books", "lsn": lsn, "snapshot": snapshot, "ts_ms": 1_700_000_000_000i64})
    }

    #[test]
    fn book_upsert_keeps_toast_as_none() {
        let after = json!({"id": "00000000-0000-0000-0000-000000000001", "title": "__debezium_unavailable_value",
                           "author": "A", "price": "49.99", "genre": "G", "isbn": "978-0135957059",
                           "published_year": 2019, "created_at": "2026-01-01T00:00:00Z"});
        let change = TableChange::from_event(
            CapturedTable::Books,
            &event("t", json!({"op": "u", "after": after, "source": source(42, "false")})),
        )
        .unwrap();
        let TableChange::Keyed(change) = change else { panic!("{change:?}") };
        assert_eq!(change.position, 42);
        let ChangeKind::Upsert(TableRow::Book(book)) = change.kind else { panic!() };
        assert_eq!(book.title, None);
        assert_eq!(book.price, Decimal::new(4999, 2));
        assert_eq!(book.published_year, Some(2019));
    }

    #[test]
    fn snapshot_reads_sit_at_zero_and_deletes_use_the_key() {
        let after = json!({"book_id": "00000000-0000-0000-0000-000000000002", "quantity": 5, "reserved": 1,
                           "updated_at": "2026-01-01T00:00:00Z"});
        let read = TableChange::from_event(
            CapturedTable::Inventory,
            &event("t", json!({"op": "r", "after": after, "source": source(900, "true")})),
        )
        .unwrap();
        assert!(matches!(read, TableChange::Keyed(KeyedChange { position: 0, .. })));
        let delete = ChangeEvent::from_kafka(
            "t",
            Some(br#"{"book_id": "00000000-0000-0000-0000-000000000002"}"#),
            Some(json!({"op": "d", "before": null, "source": source(950, "false")}).to_string().as_bytes()),
        )
        .unwrap();
        let TableChange::Keyed(change) = TableChange::from_event(CapturedTable::Inventory, &delete).unwrap() else {
            panic!()
        };
        assert_eq!(change.kind, ChangeKind::Delete);
        assert_eq!(change.position, 950);
        assert_eq!(change.key, "00000000-0000-0000-0000-000000000002".parse::<Uuid>().unwrap());
    }

    #[test]
    fn missing_required_values_are_errors() {
        let after = json!({"id": "00000000-0000-0000-0000-000000000003", "user_id": "u", "total": null,
                           "status": "CONFIRMED", "created_at": "2026-01-01T00:00:00Z"});
        let err = TableChange::from_event(
            CapturedTable::Orders,
            &event("t", json!({"op": "c", "after": after, "source": source(1, "false")})),
        )
        .unwrap_err();
        assert!(err.to_string().contains("total"), "{err}");
    }
}
