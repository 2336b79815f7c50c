//! A fast path from one record's key and value text straight to its [`TableChange`], for the common shape.
//!
//! Why it exists: the generic decoder ([`ChangeEvent::from_kafka`](crate::ChangeEvent::from_kafka), then
//! [`TableChange::from_event`]) builds a `serde_json::Value` tree of the whole envelope, a [`SourceBlock`](crate::SourceBlock)
//! and [`Row`](crate::Row)s of owned strings, and only then reads the few columns a table needs: about half of
//! `bookstore replay`'s CPU went there. This module deserializes the common record with serde visitors directly
//! into the table row, borrowing the text it only looks at. The replay tries it first ([`mod@crate::replay`]).
//!
//! What it handles: a schemaless envelope of op `c`, `u`, `r` or `d` with `before`/`after` objects (or null), a
//! `source` block, `ts_ms`, a null or absent `transaction`, and a record key that is an object or null; the columns
//! it reads as JSON text, integers or null, NUMERIC as decimal text, timestamps as ISO text or microseconds.
//!
//! When it declines (`None`; the caller then runs the generic path, which gives the same result or the reason
//! stored in `cdc_parse_errors`): whenever it is not certain to produce exactly what the generic path produces.
//! That is every record the generic path rejects, and every shape not modelled here: a `{"schema", "payload"}`
//! wrapper (value or key), tombstones, heartbeats, transaction records, truncates, logical messages, a non-null
//! `transaction` block, the unchanged-TOAST placeholder in a column it reads, NUMERIC as base64 bytes (decimal text
//! made only of base64 characters) or as a JSON number, a value of an unexpected type, and a field given twice in
//! one object. Fields it does not read are still parsed as `serde_json::Value` parses them (number range, `\u`
//! escapes, nesting depth), so JSON the generic path rejects is never accepted here.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use uuid::Uuid;

use crate::decode::change::{
    BookRow, ChangeKind, InventoryRow, KeyedChange, OrderItemRow, OrderRow, TableChange, TableRow, lsn_i64, row_key,
};
use crate::decode::column::is_placeholder_text;
use crate::decode::envelope::{HEARTBEAT_TOPIC_PREFIX, Op};
use crate::decode::source_block::{Sequence, commit_time};
use crate::decode::temporal::{TimeUnit, from_epoch, parse_iso_timestamp};
use crate::sources::topic::CapturedTable;

/// The change a record of `table`'s topic asks for, or `None` to decode it with the generic path (see the module
/// docs). `key` and `value` are the record's key and value as text, `None` when null.
pub fn table_change(topic: &str, table: CapturedTable, key: Option<&str>, value: Option<&str>) -> Option<TableChange> {
    if topic.starts_with(HEARTBEAT_TOPIC_PREFIX) {
        return None;
    }
    let key: Option<Image<'_>> = match key {
        Some(text) => serde_json::from_str(text).ok()?,
        None => None,
    };
    if key.as_ref().is_some_and(|key| key.payload.is_some()) {
        return None; // maybe a {"schema", "payload"} wrapper
    }
    // A {"schema", "payload"} wrapper has no op of its own: declined below.
    let envelope: Envelope<'_> = serde_json::from_str(value?).ok()?;
    let op = match envelope.op?.as_str()? {
        "c" => Op::Create,
        "u" => Op::Update,
        "d" => Op::Delete,
        "r" => Op::Read,
        _ => return None,
    };
    let source = envelope.source??;
    let (snapshot, lsn, commit_time) = source.decode()?;
    optional_int(&envelope.ts_ms)?;
    if !matches!(envelope.transaction, None | Some(Cell::Null)) {
        return None;
    }
    let (before, after) = (envelope.before.flatten(), envelope.after.flatten());
    let position = if op == Op::Read || snapshot { 0 } else { lsn.map_or(0, lsn_i64) };
    let (key, kind) = match (op, after) {
        (Op::Delete, _) => {
            // The key's column when the key has it (even null), else the before image's.
            let cell = match key.as_ref().and_then(|key| key_cell(table, key)) {
                Some(cell) => cell,
                None => key_cell(table, before.as_ref()?)?,
            };
            (cell.uuid()?, ChangeKind::Delete)
        }
        (_, Some(after)) => {
            let row = table_row(table, &after)?;
            (row_key(&row), ChangeKind::Upsert(row))
        }
        (_, None) => return None,
    };
    Some(TableChange::Keyed(KeyedChange { key, position, commit_time, kind }))
}

/// The key column of `table` in a row image or record key.
fn key_cell<'i, 'a>(table: CapturedTable, image: &'i Image<'a>) -> Option<&'i Cell<'a>> {
    match table {
        CapturedTable::Inventory => image.book_id.as_ref(),
        _ => image.id.as_ref(),
    }
}

/// The row [`crate::decode::change`] builds from `after`, read the same way (NUMERIC at scale 2, integer timestamps in
/// microseconds, a missing `genre` as empty text, an out-of-range `published_year` as NULL); `None` for the
/// placeholder in any column read and for anything the generic reads would reject.
fn table_row(table: CapturedTable, after: &Image<'_>) -> Option<TableRow> {
    Some(match table {
        CapturedTable::Books => TableRow::Book(BookRow {
            book_id: after.id.as_ref()?.uuid()?,
            title: Some(after.title.as_ref()?.text()?),
            author: Some(after.author.as_ref()?.text()?),
            price: after.price.as_ref()?.decimal()?,
            genre: match &after.genre {
                None => Some(String::new()),
                Some(cell) => Some(cell.text()?),
            },
            isbn: Some(after.isbn.as_ref()?.text()?),
            published_year: match read(&after.published_year) {
                Read::Absent | Read::Null => None,
                Read::Int(year) => i32::try_from(year).ok(),
                Read::Unavailable | Read::Text(_) | Read::Other => return None,
            },
            created_at: match read(&after.created_at) {
                Read::Absent | Read::Null => None,
                _ => Some(after.created_at.as_ref()?.timestamp()?),
            },
        }),
        CapturedTable::Orders => TableRow::Order(OrderRow {
            order_id: after.id.as_ref()?.uuid()?,
            user_id: Some(after.user_id.as_ref()?.text()?),
            total: after.total.as_ref()?.decimal()?,
            status: Some(after.status.as_ref()?.text()?),
            created_at: after.created_at.as_ref()?.timestamp()?,
        }),
        CapturedTable::OrderItems => TableRow::OrderItem(OrderItemRow {
            id: after.id.as_ref()?.uuid()?,
            order_id: after.order_id.as_ref()?.uuid()?,
            book_id: after.book_id.as_ref()?.uuid()?,
            quantity: after.quantity.as_ref()?.int32()?,
            price_at_purchase: after.price_at_purchase.as_ref()?.decimal()?,
        }),
        CapturedTable::Inventory => TableRow::Inventory(InventoryRow {
            book_id: after.book_id.as_ref()?.uuid()?,
            quantity: after.quantity.as_ref()?.int32()?,
            reserved: after.reserved.as_ref()?.int32()?,
            updated_at: after.updated_at.as_ref()?.timestamp()?,
        }),
    })
}

/// A column that may be missing from the row image.
fn read<'c>(cell: &'c Option<Cell<'_>>) -> Read<'c> {
    cell.as_ref().map_or(Read::Absent, Cell::read)
}

/// An optional integer field (`ts_ms`, `source.txId`, …): absent, null or an i64.
fn optional_int(cell: &Option<Cell<'_>>) -> Option<Option<i64>> {
    match cell {
        None | Some(Cell::Null) => Some(None),
        Some(Cell::Int(value)) => Some(Some(*value)),
        Some(_) => None,
    }
}

/// One JSON value as far as the fast path cares; `Other` (booleans, fractions, integers beyond i64, arrays,
/// objects) is only ever accepted where the generic path ignores the value.
#[derive(Debug)]
enum Cell<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Text(Cow<'a, str>),
    Other,
}

/// A column as [`crate::decode::column::Row`]'s reads see it.
enum Read<'c> {
    Absent,
    Null,
    /// The unchanged-TOAST placeholder.
    Unavailable,
    Int(i64),
    Text(&'c str),
    Other,
}

impl<'a> Cell<'a> {
    fn read(&self) -> Read<'_> {
        match self {
            Cell::Null => Read::Null,
            Cell::Int(value) => Read::Int(*value),
            Cell::Text(text) if is_placeholder_text(text) => Read::Unavailable,
            Cell::Text(text) => Read::Text(text),
            Cell::Bool(_) | Cell::Other => Read::Other,
        }
    }

    /// Text as is (envelope fields, where the placeholder means nothing).
    fn as_str(&self) -> Option<&str> {
        match self {
            Cell::Text(text) => Some(text),
            _ => None,
        }
    }

    fn uuid(&self) -> Option<Uuid> {
        match self.read() {
            Read::Text(text) => Uuid::parse_str(text).ok(),
            _ => None,
        }
    }

    fn text(&self) -> Option<String> {
        match self.read() {
            Read::Text(text) => Some(text.to_owned()),
            _ => None,
        }
    }

    fn int32(&self) -> Option<i32> {
        match self.read() {
            Read::Int(value) => i32::try_from(value).ok(),
            _ => None,
        }
    }

    /// Decimal text. Text made only of base64 characters may be precise bytes to the generic path: declined.
    fn decimal(&self) -> Option<Decimal> {
        match self.read() {
            Read::Text(text) if !text.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)) => {
                crate::decode::numeric::decimal_from_text(text).ok()
            }
            _ => None,
        }
    }

    fn timestamp(&self) -> Option<DateTime<Utc>> {
        match self.read() {
            Read::Text(text) => parse_iso_timestamp(text).ok(),
            Read::Int(value) => from_epoch(value, TimeUnit::Micros).ok(),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Cell<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CellVisitor;
        impl<'de> Visitor<'de> for CellVisitor {
            type Value = Cell<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Cell<'de>, E> {
                Ok(Cell::Null)
            }
            fn visit_bool<E>(self, value: bool) -> Result<Cell<'de>, E> {
                Ok(Cell::Bool(value))
            }
            fn visit_i64<E>(self, value: i64) -> Result<Cell<'de>, E> {
                Ok(Cell::Int(value))
            }
            fn visit_u64<E>(self, value: u64) -> Result<Cell<'de>, E> {
                Ok(i64::try_from(value).map_or(Cell::Other, Cell::Int))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Cell<'de>, E> {
                Ok(Cell::Other)
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Cell<'de>, E> {
                Ok(Cell::Text(Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Cell<'de>, E> {
                Ok(Cell::Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E>(self, text: String) -> Result<Cell<'de>, E> {
                Ok(Cell::Text(Cow::Owned(text)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Cell<'de>, A::Error> {
                Valid::skip_seq(seq).map(|_| Cell::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Cell<'de>, A::Error> {
                Valid::skip_map(map).map(|_| Cell::Other)
            }
        }
        deserializer.deserialize_any(CellVisitor)
    }
}

/// A value the fast path does not read, parsed (not kept) exactly as `serde_json::Value` would parse it: through
/// `deserialize_any`, so numbers out of range, invalid `\u` escapes and nesting beyond serde_json's limit are errors
/// here as they are there (`IgnoredAny` would skip them unchecked).
struct Valid;

impl Valid {
    fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Valid, A::Error> {
        while seq.next_element::<Valid>()?.is_some() {}
        Ok(Valid)
    }

    fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Valid, A::Error> {
        while map.next_entry::<Valid, Valid>()?.is_some() {}
        Ok(Valid)
    }
}

impl<'de> Deserialize<'de> for Valid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValidVisitor;
        impl<'de> Visitor<'de> for ValidVisitor {
            type Value = Valid;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Valid, E> {
                Ok(Valid)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Valid, E> {
                Ok(Valid)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Valid, E> {
                Ok(Valid)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Valid, E> {
                Ok(Valid)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Valid, E> {
                Ok(Valid)
            }
            fn visit_str<E>(self, _: &str) -> Result<Valid, E> {
                Ok(Valid)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Valid, A::Error> {
                Valid::skip_seq(seq)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Valid, A::Error> {
                Valid::skip_map(map)
            }
        }
        deserializer.deserialize_any(ValidVisitor)
    }
}

/// An object key, borrowed unless it has escapes.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Cell::deserialize(deserializer)? {
            Cell::Text(text) => Ok(Name(text)),
            _ => Err(de::Error::custom("object key is not a string")),
        }
    }
}

/// Fills a field seen for the first time; a field given twice is declined (the generic path keeps the last).
fn fill<'de, A: MapAccess<'de>, T: Deserialize<'de>>(slot: &mut Option<T>, map: &mut A) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::custom("field given twice"));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// Deserializes an object (never an array, which derived structs would accept) by name, one slot per read field,
/// everything else parsed as [`Valid`].
macro_rules! object {
    ($name:ident { $($field:ident: $type:ty = $json:literal),* $(,)? }) => {
        #[derive(Debug, Default)]
        struct $name<'a> {
            $($field: Option<$type>,)*
        }

        impl<'de> Deserialize<'de> for $name<'de> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ObjectVisitor;
                impl<'de> Visitor<'de> for ObjectVisitor {
                    type Value = $name<'de>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("an object (", stringify!($name), ")"))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name<'de>, A::Error> {
                        let mut object = $name::default();
                        while let Some(Name(name)) = map.next_key()? {
                            match &*name {
                                $($json => fill(&mut object.$field, &mut map)?,)*
                                _ => {
                                    map.next_value::<Valid>()?;
                                }
                            }
                        }
                        Ok(object)
                    }
                }
                deserializer.deserialize_map(ObjectVisitor)
            }
        }
    };
}

object!(Envelope {
    op: Cell<'a> = "op",
    source: Option<SourceFields<'a>> = "source",
    ts_ms: Cell<'a> = "ts_ms",
    before: Option<Image<'a>> = "before",
    after: Option<Image<'a>> = "after",
    transaction: Cell<'a> = "transaction",
});

object!(SourceFields {
    version: Cell<'a> = "version",
    connector: Cell<'a> = "connector",
    name: Cell<'a> = "name",
    ts_ms: Cell<'a> = "ts_ms",
    ts_us: Cell<'a> = "ts_us",
    ts_ns: Cell<'a> = "ts_ns",
    ts_usec: Cell<'a> = "ts_usec",
    snapshot: Cell<'a> = "snapshot",
    db: Cell<'a> = "db",
    schema: Cell<'a> = "schema",
    table: Cell<'a> = "table",
    tx_id: Cell<'a> = "txId",
    lsn: Cell<'a> = "lsn",
    sequence: Cell<'a> = "sequence",
    xmin: Cell<'a> = "xmin",
});

// The columns of the four captured tables (a row image or the record key).
object!(Image {
    id: Cell<'a> = "id",
    title: Cell<'a> = "title",
    author: Cell<'a> = "author",
    price: Cell<'a> = "price",
    genre: Cell<'a> = "genre",
    isbn: Cell<'a> = "isbn",
    published_year: Cell<'a> = "published_year",
    created_at: Cell<'a> = "created_at",
    user_id: Cell<'a> = "user_id",
    total: Cell<'a> = "total",
    status: Cell<'a> = "status",
    order_id: Cell<'a> = "order_id",
    book_id: Cell<'a> = "book_id",
    quantity: Cell<'a> = "quantity",
    price_at_purchase: Cell<'a> = "price_at_purchase",
    reserved: Cell<'a> = "reserved",
    updated_at: Cell<'a> = "updated_at",
    // Only to decline a key that may be a {"schema", "payload"} wrapper.
    payload: Cell<'a> = "payload",
});

impl SourceFields<'_> {
    /// Checks every field [`crate::SourceBlock`] checks and returns whether it is a snapshot read, the change LSN
    /// (`lsn`, else the sequence's) and the commit time.
    fn decode(&self) -> Option<(bool, Option<u64>, Option<DateTime<Utc>>)> {
        for text in [&self.version, &self.connector, &self.name, &self.db, &self.schema, &self.table] {
            if !matches!(text, None | Some(Cell::Null | Cell::Text(_))) {
                return None;
            }
        }
        let [ts_ms, ts_us, ts_ns, ts_usec, tx_id, xmin] =
            [&self.ts_ms, &self.ts_us, &self.ts_ns, &self.ts_usec, &self.tx_id, &self.xmin].map(optional_int);
        tx_id?;
        xmin?;
        let snapshot = match &self.snapshot {
            None | Some(Cell::Null | Cell::Bool(false)) => false,
            Some(Cell::Text(text)) => text != "false",
            Some(Cell::Bool(true)) => true,
            Some(_) => return None,
        };
        let lsn = match &self.lsn {
            None | Some(Cell::Null) => None,
            Some(Cell::Int(lsn)) => Some(u64::try_from(*lsn).ok()?),
            Some(_) => return None,
        };
        let sequence = match &self.sequence {
            None | Some(Cell::Null) => Sequence::default(),
            Some(Cell::Text(text)) => Sequence::parse(text).ok()?,
            Some(_) => return None,
        };
        let commit_time = commit_time(ts_ns?, ts_us?, ts_ms?, ts_usec?);
        Some((snapshot, lsn.or(sequence.lsn), commit_time))
    }
}
