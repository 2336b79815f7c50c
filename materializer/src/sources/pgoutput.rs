//! The pgoutput (protocol version 1, text format) messages that carry row changes, decoded, and turned into
//! Debezium-shaped change events, the same the Kafka decoder makes of Debezium's JSON.
//!
//! The replication client hands over BEGIN/COMMIT itself; this module reads Relation, Insert, Update, Delete and
//! Truncate. Values arrive as PostgreSQL text output; with the session time zone pinned to UTC a `timestamptz`
//! reads `2026-11-27 11:22:38.123+00`, which becomes RFC 3339. An unchanged TOASTed value (`u`) becomes
//! Debezium's placeholder, so the sink keeps the stored value exactly as it does for Debezium's events.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use crate::decode::column::{ColumnSchema, Row, UNAVAILABLE_VALUE_PLACEHOLDER};
use crate::decode::envelope::{ChangeEvent, Op, RowChange, Truncate};
use crate::decode::error::DecodeError;
use crate::decode::source_block::{Sequence, Snapshot, SourceBlock};

/// A column of a relation: name and type OID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationColumn {
    pub name: String,
    pub type_oid: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub id: u32,
    pub schema: String,
    pub name: String,
    pub columns: Vec<RelationColumn>,
}

/// One column of a tuple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Datum {
    Null,
    UnchangedToast,
    Text(String),
}

/// A decoded pgoutput message the reader acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Relation(Relation),
    Insert {
        relation: u32,
        new: Vec<Datum>,
    },
    Update {
        relation: u32,
        old: Option<Vec<Datum>>,
        new: Vec<Datum>,
    },
    Delete {
        relation: u32,
        old: Vec<Datum>,
    },
    Truncate {
        relations: Vec<u32>,
    },
    /// Type, Origin and other messages that carry no row change.
    Other(u8),
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.bytes.len() < n {
            return Err(format!("message ends early: wanted {n} bytes, {} left", self.bytes.len()));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn cstr(&mut self) -> Result<String, String> {
        let end = self.bytes.iter().position(|b| *b == 0).ok_or("string without terminator")?;
        let text = String::from_utf8_lossy(&self.bytes[..end]).into_owned();
        self.bytes = &self.bytes[end + 1..];
        Ok(text)
    }
    fn tuple(&mut self) -> Result<Vec<Datum>, String> {
        let count = self.u16()?;
        (0..count)
            .map(|_| match self.u8()? {
                b'n' => Ok(Datum::Null),
                b'u' => Ok(Datum::UnchangedToast),
                b't' | b'b' => {
                    let len = self.u32()? as usize;
                    Ok(Datum::Text(String::from_utf8_lossy(self.take(len)?).into_owned()))
                }
                other => Err(format!("unknown tuple column kind {other:#x}")),
            })
            .collect()
    }
}

/// Decodes one pgoutput message (the XLogData payload).
pub fn decode(bytes: &[u8]) -> Result<Message, String> {
    let mut r = Reader { bytes };
    let tag = r.u8()?;
    Ok(match tag {
        b'R' => {
            let id = r.u32()?;
            let schema = r.cstr()?;
            let name = r.cstr()?;
            let _replica_identity = r.u8()?;
            let count = r.u16()?;
            let columns = (0..count)
                .map(|_| {
                    let _flags = r.u8()?;
                    let name = r.cstr()?;
                    let type_oid = r.u32()?;
                    let _typmod = r.u32()?;
                    Ok(RelationColumn { name, type_oid })
                })
                .collect::<Result<_, String>>()?;
            Message::Relation(Relation { id, schema, name, columns })
        }
        b'I' => {
            let relation = r.u32()?;
            expect(r.u8()?, b'N')?;
            Message::Insert { relation, new: r.tuple()? }
        }
        b'U' => {
            let relation = r.u32()?;
            let mut old = None;
            let mut marker = r.u8()?;
            if marker == b'K' || marker == b'O' {
                old = Some(r.tuple()?);
                marker = r.u8()?;
            }
            expect(marker, b'N')?;
            Message::Update { relation, old, new: r.tuple()? }
        }
        b'D' => {
            let relation = r.u32()?;
            let marker = r.u8()?;
            if marker != b'K' && marker != b'O' {
                return Err(format!("delete without old tuple (marker {marker:#x})"));
            }
            Message::Delete { relation, old: r.tuple()? }
        }
        b'T' => {
            let count = r.u32()?;
            let _options = r.u8()?;
            Message::Truncate { relations: (0..count).map(|_| r.u32()).collect::<Result<_, String>>()? }
        }
        other => Message::Other(other),
    })
}

fn expect(found: u8, wanted: u8) -> Result<(), String> {
    if found == wanted {
        Ok(())
    } else {
        Err(format!("expected tuple marker {:?} but found {found:#x}", wanted as char))
    }
}

const BOOL: u32 = 16;
const INT8: u32 = 20;
const INT2: u32 = 21;
const INT4: u32 = 23;
const TIMESTAMP: u32 = 1114;
const TIMESTAMPTZ: u32 = 1184;

/// A text value as the JSON Debezium would send (with `decimal.handling.mode=string`).
pub fn json_value(type_oid: u32, datum: &Datum) -> Value {
    let text = match datum {
        Datum::Null => return Value::Null,
        Datum::UnchangedToast => return Value::String(UNAVAILABLE_VALUE_PLACEHOLDER.to_owned()),
        Datum::Text(text) => text,
    };
    match type_oid {
        BOOL => Value::Bool(text == "t"),
        INT2 | INT4 | INT8 => text.parse::<i64>().map_or_else(|_| Value::String(text.clone()), Value::from),
        TIMESTAMPTZ | TIMESTAMP => Value::String(rfc3339(text)),
        _ => Value::String(text.clone()),
    }
}

/// `2026-11-27 11:22:38.1+00` → `2026-11-27T11:22:38.1+00:00`.
fn rfc3339(text: &str) -> String {
    let mut out = text.replacen(' ', "T", 1);
    let bytes = out.as_bytes();
    let n = bytes.len();
    if n >= 3 && (bytes[n - 3] == b'+' || bytes[n - 3] == b'-') && bytes[n - 2..].iter().all(u8::is_ascii_digit) {
        out.push_str(":00");
    }
    out
}

/// A row image as a JSON object, and the Connect schema of its fields (text, integer or boolean).
pub fn row_json(columns: &[RelationColumn], datums: &[Datum]) -> (Map<String, Value>, Value) {
    let mut row = Map::new();
    let mut fields = Vec::new();
    for (column, datum) in columns.iter().zip(datums) {
        row.insert(column.name.clone(), json_value(column.type_oid, datum));
        fields.push(json!({"field": column.name, "type": connect_type(column.type_oid), "optional": true}));
    }
    (row, json!({"type": "struct", "fields": fields}))
}

/// The Connect type an envelope's schema gives a column of this type (text, integer or boolean).
fn connect_type(type_oid: u32) -> &'static str {
    match type_oid {
        BOOL => "boolean",
        INT2 | INT4 | INT8 => "int64",
        _ => "string",
    }
}

/// The change event that [`envelope`] decodes to, built without the JSON in between: the reader's hot path.
/// `tests::direct_events_equal_decoded_envelopes` keeps the two the same.
pub fn change_event(
    op: Op,
    origin: &Origin<'_>,
    relation: &Relation,
    before: Option<&[Datum]>,
    after: Option<&[Datum]>,
) -> Result<ChangeEvent, DecodeError> {
    let source = SourceBlock {
        version: None,
        connector: Some(CONNECTOR.to_owned()),
        name: Some(origin.connector_name.to_owned()),
        ts_ms: Some(origin.commit_ms),
        ts_us: None,
        ts_ns: None,
        ts_usec: None,
        snapshot: if origin.snapshot { Snapshot::True } else { Snapshot::False },
        db: Some(origin.db.to_owned()),
        schema: Some(origin.schema.to_owned()),
        table: Some(origin.table.to_owned()),
        tx_id: origin.tx_id.map(i64::from),
        lsn: Some(origin.lsn),
        sequence: Some(Sequence { last_commit_lsn: Some(origin.last_commit_lsn), lsn: Some(origin.lsn) }),
        xmin: None,
    };
    let ts_ms = Some(chrono::Utc::now().timestamp_millis());
    if op == Op::Truncate {
        return Ok(ChangeEvent::Truncate(Truncate { source, ts_ms }));
    }
    let schemas: BTreeMap<String, ColumnSchema> = relation
        .columns
        .iter()
        .map(|column| {
            let schema =
                ColumnSchema { connect_type: connect_type(column.type_oid).to_owned(), logical: None, optional: true };
            (column.name.clone(), schema)
        })
        .collect();
    let row = |datums: &[Datum]| Row::from_object(row_json(&relation.columns, datums).0, &schemas);
    let (before, after) = (before.map(row), after.map(row));
    match op {
        Op::Delete if before.is_none() => Err(DecodeError::MissingRowImage { op: op.code(), field: "before" }),
        Op::Create | Op::Update | Op::Read if after.is_none() => {
            Err(DecodeError::MissingRowImage { op: op.code(), field: "after" })
        }
        _ => Ok(ChangeEvent::Row(RowChange { op, key: None, before, after, source, ts_ms, transaction: None })),
    }
}

/// The `source.connector` of the embedded reader's events.
const CONNECTOR: &str = "bookstore-embedded";

/// Where a change came from, for the envelope's `source` block.
#[derive(Debug, Clone)]
pub struct Origin<'a> {
    pub connector_name: &'a str,
    pub db: &'a str,
    pub schema: &'a str,
    pub table: &'a str,
    pub tx_id: Option<u32>,
    pub lsn: u64,
    pub last_commit_lsn: u64,
    pub commit_ms: i64,
    pub snapshot: bool,
}

/// A Debezium envelope (`{"schema", "payload"}`) for one change.
pub fn envelope(
    op: &str,
    origin: &Origin<'_>,
    before: Option<(Map<String, Value>, Value)>,
    after: Option<(Map<String, Value>, Value)>,
) -> Value {
    let schema_of = |image: &Option<(Map<String, Value>, Value)>, field: &str| {
        let mut schema = image.as_ref().map_or_else(|| json!({"type": "struct", "fields": []}), |(_, s)| s.clone());
        schema["field"] = json!(field);
        schema
    };
    let schema = json!({"type": "struct", "fields": [schema_of(&before, "before"), schema_of(&after, "after")]});
    let source = json!({
        "connector": CONNECTOR, "name": origin.connector_name, "db": origin.db,
        "schema": origin.schema, "table": origin.table, "txId": origin.tx_id, "lsn": origin.lsn,
        "sequence": format!("[\"{}\",\"{}\"]", origin.last_commit_lsn, origin.lsn),
        "ts_ms": origin.commit_ms, "snapshot": if origin.snapshot { "true" } else { "false" },
    });
    json!({"schema": schema, "payload": {
        "op": op, "before": before.map(|(row, _)| Value::Object(row)), "after": after.map(|(row, _)| Value::Object(row)),
        "source": source, "ts_ms": chrono::Utc::now().timestamp_millis(),
    }})
}

/// Relations seen on the stream, by id.
#[derive(Debug, Default)]
pub struct Relations(HashMap<u32, Relation>);

impl Relations {
    pub fn insert(&mut self, relation: Relation) {
        self.0.insert(relation.id, relation);
    }
    pub fn get(&self, id: u32) -> Option<&Relation> {
        self.0.get(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple(values: &[Option<&str>]) -> Vec<u8> {
        let mut out = (values.len() as u16).to_be_bytes().to_vec();
        for value in values {
            match value {
                None => out.push(b'n'),
                Some(text) => {
                    out.push(b't');
                    out.extend((text.len() as u32).to_be_bytes());
                    out.extend(text.as_bytes());
                }
            }
        }
        out
    }

    #[test]
    fn relation_insert_update_delete() {
        let mut rel = vec![b'R'];
        rel.extend(7u32.to_be_bytes());
        rel.extend(b"public\0books\0");
        rel.push(b'd');
        rel.extend(2u16.to_be_bytes());
        for (name, oid) in [("id", 2950u32), ("price", 1700)] {
            rel.push(1);
            rel.extend(name.as_bytes());
            rel.push(0);
            rel.extend(oid.to_be_bytes());
            rel.extend((-1i32).to_be_bytes());
        }
        let Message::Relation(relation) = decode(&rel).unwrap() else { panic!() };
        assert_eq!((relation.id, relation.name.as_str(), relation.columns.len()), (7, "books", 2));

        let mut insert = vec![b'I'];
        insert.extend(7u32.to_be_bytes());
        insert.push(b'N');
        insert.extend(tuple(&[Some("00000000-0000-0000-0000-000000000001"), Some("49.99")]));
        let Message::Insert { new, .. } = decode(&insert).unwrap() else { panic!() };
        assert_eq!(new[1], Datum::Text("49.99".into()));

        let mut update = vec![b'U'];
        update.extend(7u32.to_be_bytes());
        update.push(b'N');
        update.extend(2u16.to_be_bytes());
        update.push(b't');
        update.extend(1u32.to_be_bytes());
        update.push(b'x');
        update.push(b'u');
        let Message::Update { old: None, new, .. } = decode(&update).unwrap() else { panic!() };
        assert_eq!(new[1], Datum::UnchangedToast);

        let mut delete = vec![b'D'];
        delete.extend(7u32.to_be_bytes());
        delete.push(b'K');
        delete.extend(tuple(&[Some("00000000-0000-0000-0000-000000000001"), None]));
        assert!(matches!(decode(&delete).unwrap(), Message::Delete { relation: 7, .. }));
        assert!(decode(&delete[..8]).is_err());
    }

    #[test]
    fn direct_events_equal_decoded_envelopes() {
        let column = |name: &str, type_oid| RelationColumn { name: name.to_owned(), type_oid };
        let relation = Relation {
            id: 9,
            schema: "public".into(),
            name: "orders".into(),
            columns: vec![
                column("id", 2950),
                column("total", 1700),
                column("lines", INT4),
                column("paid", BOOL),
                column("created_at", TIMESTAMPTZ),
                column("note", 25),
            ],
        };
        let text = |t: &str| Datum::Text(t.to_owned());
        let row = vec![
            text("00000000-0000-0000-0000-000000000007"),
            text("1000"),
            text("3"),
            text("t"),
            text("2026-11-27 11:22:38.5+00"),
            Datum::UnchangedToast,
        ];
        let key_only = vec![
            text("00000000-0000-0000-0000-000000000007"),
            Datum::Null,
            Datum::Null,
            Datum::Null,
            Datum::Null,
            Datum::Null,
        ];
        let origin = Origin {
            connector_name: "ecom",
            db: "ecom",
            schema: "public",
            table: "orders",
            tx_id: Some(812),
            lsn: 4_000_123,
            last_commit_lsn: 4_000_001,
            commit_ms: 1_795_000_000_000,
            snapshot: false,
        };
        // Debezium's processing time is "now" on both paths.
        let without_ts = |event: ChangeEvent| match event {
            ChangeEvent::Row(change) => ChangeEvent::Row(RowChange { ts_ms: None, ..change }),
            ChangeEvent::Truncate(truncate) => ChangeEvent::Truncate(Truncate { ts_ms: None, ..truncate }),
            other => other,
        };
        type Images<'a> = (Option<&'a [Datum]>, Option<&'a [Datum]>);
        let cases: [(Op, Images<'_>); 5] = [
            (Op::Create, (None, Some(&row))),
            (Op::Update, (None, Some(&row))),
            (Op::Update, (Some(&key_only), Some(&row))),
            (Op::Delete, (Some(&key_only), None)),
            (Op::Truncate, (None, None)),
        ];
        for (op, (before, after)) in cases {
            let direct = change_event(op, &origin, &relation, before, after).unwrap();
            let images = |datums: Option<&[Datum]>| datums.map(|d| row_json(&relation.columns, d));
            let value = envelope(op.code(), &origin, images(before), images(after));
            let decoded = ChangeEvent::from_json("ecom-connector.public.orders", None, Some(value)).unwrap();
            assert_eq!(without_ts(direct), without_ts(decoded), "{op:?}");
        }
        // A numeric that is also valid base64 stays the decimal 1000: the string schema says it is text.
        let ChangeEvent::Row(change) = change_event(Op::Create, &origin, &relation, None, Some(&row)).unwrap() else {
            panic!()
        };
        let total = change.after.unwrap().decimal("total", Some(2)).unwrap();
        assert_eq!(total, crate::decode::column::ColumnValue::Value("1000".parse().unwrap()));
    }

    #[test]
    fn values_become_debezium_json() {
        assert_eq!(
            json_value(TIMESTAMPTZ, &Datum::Text("2026-11-27 11:22:38.5+00".into())),
            json!("2026-11-27T11:22:38.5+00:00")
        );
        assert_eq!(json_value(INT4, &Datum::Text("42".into())), json!(42));
        assert_eq!(json_value(1700, &Datum::Text("10.50".into())), json!("10.50"));
        assert_eq!(json_value(25, &Datum::UnchangedToast), json!(UNAVAILABLE_VALUE_PLACEHOLDER));
        assert_eq!(json_value(BOOL, &Datum::Text("t".into())), json!(true));
    }
}
