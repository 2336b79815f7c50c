//! The replay's fast decoder (`fast_decode`) against the generic one (`ChangeEvent::from_kafka`, then
//! `TableChange::from_event`): on every record it must either decline or produce exactly the generic result.
//! Checked on a generated dump of every op and on the real Debezium vectors, by property over random envelopes
//! (including JSON the generic parser rejects), and on hand-written records it must decline.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bookstore_materializer::decode::change::{ChangeKind, TableChange};
use bookstore_materializer::decode::fast_decode::table_change;
use bookstore_materializer::replay::{Decoder, decode_lines};
use bookstore_materializer::{CapturedTable, ChangeEvent, DecodeError, TopicMap};
use proptest::prelude::*;
use serde_json::{Value, json};

const PLACEHOLDER: &str = "__debezium_unavailable_value";
const PLACEHOLDER_BASE64: &str = "X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==";

fn topic(table: CapturedTable) -> String {
    TopicMap::default().topic(table)
}

fn generic(
    topic: &str,
    table: CapturedTable,
    key: Option<&str>,
    value: Option<&str>,
) -> Result<TableChange, DecodeError> {
    ChangeEvent::from_kafka(topic, key.map(str::as_bytes), value.map(str::as_bytes))
        .and_then(|event| TableChange::from_event(table, &event))
}

/// The fast path on one record: `None` if it declined, else its change, which must equal the generic one.
fn fast(topic: &str, table: CapturedTable, key: Option<&str>, value: Option<&str>) -> Option<TableChange> {
    let change = table_change(topic, table, key, value)?;
    assert_eq!(Ok(&change), generic(topic, table, key, value).as_ref(), "{topic} key {key:?} value {value:?}");
    Some(change)
}

fn status(version: u64) -> &'static str {
    ["CONFIRMED", "SHIPPED", "CANCELLED"][(version % 3) as usize]
}

fn remove(object: &mut Value, field: &str) {
    if let Some(object) = object.as_object_mut() {
        object.remove(field);
    }
}

fn uuid(kind: u64, n: u64) -> String {
    format!("{kind:08x}-0000-0000-0000-{n:012x}")
}

/// A small xorshift generator: the dump is the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Writes a `kcat -C -J` dump of Debezium records over the four captured tables: snapshot reads, creates, updates
/// with and without `before`, deletes (key-only `before` or none) followed by tombstones, in the source-block
/// variants of Debezium 0.8 to 3.x; plus some records the fast path must leave to the generic one (placeholders,
/// schemas, base64 and double NUMERIC, transaction blocks, bad values), other topics and lines that are no records.
struct Dump {
    rng: Rng,
    lsn: u64,
    offset: u64,
    lines: Vec<String>,
}

impl Dump {
    fn source(&mut self, table: CapturedTable, snapshot: &str) -> Value {
        self.lsn += 3;
        let (lsn, db) = (self.lsn, if table == CapturedTable::Inventory { "inventory" } else { "ecom" });
        let ts = 1_764_000_000_000i64 + lsn as i64;
        let mut source = json!({"version": "3.4.0.Final", "connector": "postgresql", "name": "ecom-connector",
            "ts_ms": ts, "snapshot": snapshot, "db": db, "sequence": format!("[\"{}\",\"{lsn}\"]", lsn - 1),
            "schema": "public", "table": table.table_name(), "txId": lsn / 3, "lsn": lsn, "xmin": null});
        match self.rng.below(10) {
            0 => {
                source["ts_us"] = json!(ts * 1000 + 7);
                source["ts_ns"] = json!(ts * 1_000_000 + 7_001);
            }
            1 => {
                // Debezium 0.8: no connector, no sequence, boolean snapshot, ts_usec.
                source = json!({"version": "0.8.2", "name": "ecom", "db": db, "ts_usec": ts * 1000,
                    "txId": lsn / 3, "lsn": lsn, "snapshot": snapshot != "false", "last_snapshot_record": null});
            }
            2 => source["sequence"] = json!(format!("[null,\"{lsn}\"]")),
            3 => {
                source["lsn"] = Value::Null;
            }
            _ => {}
        }
        source
    }

    fn row(&mut self, table: CapturedTable, n: u64, version: u64) -> Value {
        let ts = |rng: &mut Rng| {
            if rng.chance(20) {
                json!(1_764_000_000_000_000i64 + n as i64)
            } else {
                json!(format!("2026-0{}-1{}T10:00:0{}.{:06}Z", 1 + n % 9, n % 10, version % 10, n % 999_999))
            }
        };
        let cents = |rng: &mut Rng| {
            let cents = 500 + rng.below(8000);
            format!("{}.{:02}", cents / 100, cents % 100)
        };
        match table {
            CapturedTable::Books => {
                let mut row = json!({"id": uuid(1, n), "title": format!("Book {n} v{version}"),
                    "author": format!("Author \"{}\" Ünal", n % 150), "price": cents(&mut self.rng),
                    "description": "", "cover_url": null, "isbn": format!("978-{n:010}"),
                    "genre": format!("Genre {}", n % 12), "published_year": 1990 + n % 35,
                    "created_at": ts(&mut self.rng), "updated_at": ts(&mut self.rng)});
                match self.rng.below(12) {
                    0 => remove(&mut row, "genre"),
                    1 => row["published_year"] = Value::Null,
                    2 => row["created_at"] = Value::Null,
                    3 => row["published_year"] = json!(1u64 << 40),
                    4 => remove(&mut row, "published_year"),
                    _ => {}
                }
                row
            }
            CapturedTable::Orders => json!({"id": uuid(2, n), "user_id": format!("user{}", n % 500),
                "total": cents(&mut self.rng), "status": status(version),
                "idempotency_key": null, "created_at": ts(&mut self.rng), "updated_at": ts(&mut self.rng)}),
            CapturedTable::OrderItems => json!({"id": uuid(3, n), "order_id": uuid(2, n / 2),
                "book_id": uuid(1, n % 100), "quantity": 1 + version % 3, "price_at_purchase": cents(&mut self.rng)}),
            CapturedTable::Inventory => json!({"book_id": uuid(1, n), "quantity": 1000 - version as i64,
                "reserved": version % 4, "updated_at": ts(&mut self.rng)}),
        }
    }

    fn key(table: CapturedTable, n: u64) -> Value {
        match table {
            CapturedTable::Books => json!({"id": uuid(1, n)}),
            CapturedTable::Orders => json!({"id": uuid(2, n)}),
            CapturedTable::OrderItems => json!({"id": uuid(3, n)}),
            CapturedTable::Inventory => json!({"book_id": uuid(1, n)}),
        }
    }

    fn push(&mut self, topic: &str, key: Option<String>, payload: Option<String>) {
        self.offset += 1;
        let line = json!({"topic": topic, "partition": self.offset % 3, "offset": self.offset, "tstype": "create",
            "ts": 1_764_000_000_000i64, "broker": 1, "headers": null, "key": key, "payload": payload});
        self.lines.push(line.to_string());
    }

    fn record(&mut self, table: CapturedTable, key: &Value, envelope: &Value) {
        // Non-ASCII as \u escapes in one record of four, as Java's and Python's encoders write it.
        let mut payload = envelope.to_string();
        if self.rng.chance(25) {
            payload = payload.replace('Ü', "\\u00dc");
        }
        self.push(&topic(table), Some(key.to_string()), Some(payload));
    }

    /// One change of row `n`; `version` 0 is its first image.
    fn change(&mut self, table: CapturedTable, n: u64, version: u64) {
        let key = Self::key(table, n);
        let (op, snapshot) = match version {
            0 if self.rng.chance(30) => ("r", ["true", "first", "last", "incremental"][self.rng.below(4) as usize]),
            0 => ("c", "false"),
            _ => ("u", "false"),
        };
        let after = self.row(table, n, version);
        let before = match op {
            "u" if self.rng.chance(50) => self.row(table, n, version - 1),
            _ => Value::Null,
        };
        let source = self.source(table, snapshot);
        let mut envelope = json!({"before": before, "after": after, "source": source, "op": op,
            "ts_ms": 1_764_000_000_000i64 + n as i64, "transaction": null});
        if self.rng.chance(20) {
            remove(&mut envelope, "transaction");
        }
        self.odd_one_out(&mut envelope);
        let envelope = if self.rng.chance(3) { json!({"schema": null, "payload": envelope}) } else { envelope };
        self.record(table, &key, &envelope);
    }

    /// Now and then a record the fast path must decline (or not, when the column is one it does not read).
    fn odd_one_out(&mut self, envelope: &mut Value) {
        let Some(after) = envelope["after"].as_object() else { return };
        let Some(column) = after.keys().nth(self.rng.below(after.len() as u64) as usize).cloned() else { return };
        match self.rng.below(60) {
            0 => envelope["after"][&column] = json!(PLACEHOLDER),
            1 => envelope["after"][&column] = json!(PLACEHOLDER_BASE64),
            2 => envelope["after"][&column] = json!(12.5),
            3 => envelope["after"][&column] = Value::Null,
            4 => envelope["after"][&column] = json!("AA=="),
            5 => envelope["after"][&column] = json!([PLACEHOLDER]),
            6 => envelope["transaction"] = json!({"id": "1:2", "total_order": 1, "data_collection_order": 1}),
            7 => envelope["after"]["id"] = json!("not-a-uuid"),
            8 => envelope["source"]["lsn"] = json!("12"),
            _ => {}
        }
    }

    fn delete(&mut self, table: CapturedTable, n: u64) {
        let key = Self::key(table, n);
        // REPLICA IDENTITY DEFAULT: the key columns, the others null; sometimes no before at all.
        let before = match self.rng.below(3) {
            0 => Value::Null,
            1 => self.row(table, n, 9),
            _ => {
                let mut before = self.row(table, n, 9);
                for (column, value) in before.as_object_mut().into_iter().flatten() {
                    if column != "id" && column != "book_id" {
                        *value = Value::Null;
                    }
                }
                before
            }
        };
        let source = self.source(table, "false");
        let envelope = json!({"before": before, "after": null, "source": source, "op": "d", "ts_ms": 1});
        self.record(table, &key, &envelope);
        if self.rng.chance(80) {
            self.push(&topic(table), Some(key.to_string()), None);
        }
    }

    fn generate(records: u64) -> Vec<String> {
        let mut dump = Dump { rng: Rng(0x9E37_79B9_7F4A_7C15), lsn: 10_000, offset: 0, lines: Vec::new() };
        let mut versions = std::collections::HashMap::<(CapturedTable, u64), u64>::new();
        while (dump.lines.len() as u64) < records {
            let table = CapturedTable::ALL[dump.rng.below(4) as usize];
            let n = dump.rng.below(300);
            match dump.rng.below(100) {
                0 => dump.lines.push("not a kcat record".to_owned()),
                1 => dump.push("ecom-connector.transaction", None, Some(r#"{"status":"BEGIN","id":"1:2"}"#.into())),
                2 => dump.push("__debezium-heartbeat.ecom-connector", None, Some(r#"{"ts_ms":1}"#.into())),
                3 => dump.push(&topic(table), Some("{\"id\":".to_owned()), Some("{}".to_owned())),
                4..=11 if versions.contains_key(&(table, n)) => {
                    versions.remove(&(table, n));
                    dump.delete(table, n);
                }
                _ => {
                    let version = versions.entry((table, n)).or_insert(0);
                    let this = *version;
                    *version += 1;
                    dump.change(table, n, this);
                }
            }
        }
        dump.lines
    }
}

#[test]
fn generated_dump_decodes_alike() {
    let lines = Dump::generate(4000);
    let topics = TopicMap::default();
    let (mut decoded, mut total) = (BTreeSet::new(), 0);
    for line in &lines {
        let Ok(record) = serde_json::from_str::<Value>(line) else { continue };
        let topic = record["topic"].as_str().unwrap_or_default();
        let Ok(table) = topics.table(topic) else { continue };
        total += 1;
        let (key, value) = (record["key"].as_str(), record["payload"].as_str());
        if let Some(change) = fast(topic, table, key, value) {
            let op = serde_json::from_str::<Value>(value.unwrap_or_default()).unwrap()["op"].clone();
            decoded.insert((table, op.as_str().unwrap_or_default().to_owned()));
            if let TableChange::Keyed(keyed) = &change {
                assert_eq!(keyed.kind == ChangeKind::Delete, op == "d");
            }
        } else {
            decoded.insert((table, "declined".to_owned()));
        }
    }
    // Every op of every table went the fast way at least once, and the generator also made records it declines.
    for table in CapturedTable::ALL {
        for op in ["c", "u", "r", "d", "declined"] {
            assert!(decoded.contains(&(table, op.to_owned())), "{table:?} {op}: {decoded:?}");
        }
    }
    assert!(total > 3000, "{total}");

    // And the replay's decoding of the whole dump, failures and offsets included, is the same either way.
    let numbered: Vec<(u64, String)> = (1..).zip(lines).collect();
    let file = Path::new("generated.jsonl");
    let fast = decode_lines(file, &topics, &numbered, Decoder::Fast);
    let generic = decode_lines(file, &topics, &numbered, Decoder::Generic);
    assert!(fast.batches.values().any(|batch| !batch.failures.is_empty()));
    assert!(fast.skipped > 0);
    assert_eq!(fast, generic);
}

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/debezium-vectors")
}

/// A row of `table` with the columns it reads, as a schemaless Debezium image.
fn bookstore_row(table: CapturedTable) -> Value {
    match table {
        CapturedTable::Books => json!({"id": uuid(1, 1), "title": "T", "author": "A", "price": "49.99",
            "genre": "G", "isbn": "978-0135957059", "published_year": 2019, "created_at": "2026-01-01T00:00:00Z"}),
        CapturedTable::Orders => json!({"id": uuid(2, 1), "user_id": "u", "total": "10.00", "status": "CONFIRMED",
            "created_at": 1_764_000_000_000_000i64}),
        CapturedTable::OrderItems => json!({"id": uuid(3, 1), "order_id": uuid(2, 1), "book_id": uuid(1, 1),
            "quantity": 2, "price_at_purchase": "4.50"}),
        CapturedTable::Inventory => {
            json!({"book_id": uuid(1, 1), "quantity": 5, "reserved": 0, "updated_at": "2026-01-01T00:00:00+02:00"})
        }
    }
}

/// Every vector as it is on every table's topic, and with its row images (and key) replaced by a bookstore row so
/// that its envelope and source block (0.8 to 3.x, snapshots, sequences, transaction blocks) meet the fast path.
#[test]
fn debezium_vectors_decode_alike() {
    let mut files = 0;
    let mut fast_hits = 0;
    for entry in std::fs::read_dir(vectors()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".json") || name.ends_with(".key.json") {
            continue;
        }
        let value = std::fs::read_to_string(&path).unwrap();
        let key = std::fs::read_to_string(vectors().join(name.replace(".json", ".key.json"))).ok();
        let Ok(parsed) = serde_json::from_str::<Value>(&value) else { continue };
        files += 1;
        for table in CapturedTable::ALL {
            let topic = topic(table);
            fast(&topic, table, key.as_deref(), Some(value.trim()));
            // The same envelope carrying a bookstore row.
            let mut adapted = parsed.clone();
            let envelope = if adapted.get("payload").is_some() { &mut adapted["payload"] } else { &mut adapted };
            for image in ["before", "after"] {
                if envelope.get(image).is_some_and(|image| !image.is_null()) {
                    envelope[image] = bookstore_row(table);
                }
            }
            let row = bookstore_row(table);
            let key_column = if table == CapturedTable::Inventory { "book_id" } else { "id" };
            let adapted_key = json!({key_column: row[key_column]}).to_string();
            for key in [None, Some(adapted_key.as_str())] {
                fast_hits += usize::from(fast(&topic, table, key, Some(&adapted.to_string())).is_some());
            }
        }
    }
    assert!(files >= 20, "{files}");
    assert!(fast_hits >= 40, "{fast_hits}");
}

/// Records the fast path must leave to the generic decoder, though the generic one decodes them.
#[test]
fn declines_what_it_does_not_model() {
    let source = json!({"connector": "postgresql", "ts_ms": 1, "snapshot": "false", "lsn": 40,
                        "sequence": "[\"30\",\"40\"]"});
    let envelope = |after: Value| json!({"op": "u", "source": source, "after": after, "before": null});
    let book = bookstore_row(CapturedTable::Books);
    let with = |column: &str, value: Value| {
        let mut row = book.clone();
        row[column] = value;
        envelope(row)
    };
    let topic = topic(CapturedTable::Books);
    let schema = json!({"type": "struct", "fields": [{"type": "struct", "optional": true, "field": "after",
        "fields": [{"type": "bytes", "name": "org.apache.kafka.connect.data.Decimal",
                    "parameters": {"scale": "2"}, "field": "price"}]}]});
    let mut bytes_with_schema = book.clone();
    bytes_with_schema["price"] = json!("E4s="); // 4999 at scale 2
    let cases = [
        ("placeholder as text", with("title", json!(PLACEHOLDER))),
        ("placeholder as base64", with("author", json!(PLACEHOLDER_BASE64))),
        ("placeholder in a timestamp", with("created_at", json!(PLACEHOLDER))),
        ("placeholder in a nullable integer", with("published_year", json!(PLACEHOLDER))),
        ("schema wrapper", json!({"schema": schema, "payload": envelope(bytes_with_schema)})),
        ("wrapper without schema", json!({"payload": envelope(book.clone())})),
        ("numeric as base64 bytes", with("price", json!("E4s="))),
        ("numeric as digits only (may be bytes)", with("price", json!("1000"))),
        ("numeric as a double", with("price", json!(49.99))),
        ("transaction block", {
            let mut value = envelope(book.clone());
            value["transaction"] = json!({"id": "7:40", "total_order": 1, "data_collection_order": 1});
            value
        }),
    ];
    for (what, value) in cases {
        let value = value.to_string();
        assert!(generic(&topic, CapturedTable::Books, None, Some(&value)).is_ok(), "{what}");
        assert_eq!(table_change(&topic, CapturedTable::Books, None, Some(&value)), None, "{what}");
    }
    let key = r#"{"id":"00000001-0000-0000-0000-000000000001"}"#;
    let wrapped_key = format!(r#"{{"schema":null,"payload":{key}}}"#);
    let delete = json!({"op": "d", "source": source, "before": null}).to_string();
    let update = envelope(book.clone()).to_string();
    let others = [
        ("tombstone", topic.clone(), Some(key), None),
        ("key with a schema wrapper", topic.clone(), Some(wrapped_key.as_str()), Some(delete.as_str())),
        ("heartbeat-prefixed topic", "__debezium-heartbeat.x.public.books".to_owned(), None, Some(update.as_str())),
        ("transaction record", topic.clone(), None, Some(r#"{"status":"BEGIN","id":"1:2"}"#)),
        ("truncate", topic.clone(), None, Some(r#"{"op":"t","source":{"lsn":5}}"#)),
        ("message", topic.clone(), None, Some(r#"{"op":"m","source":{},"message":{"prefix":"p"}}"#)),
    ];
    for (what, topic, key, value) in others {
        assert!(generic(&topic, CapturedTable::Books, key, value).is_ok(), "{what}");
        assert_eq!(table_change(&topic, CapturedTable::Books, key, value), None, "{what}");
    }
    // The same book without the odd part is decoded, so the cases above are declined for that part alone.
    assert!(fast(&topic, CapturedTable::Books, Some(key), Some(&envelope(book).to_string())).is_some());
}

/// JSON the generic parser rejects inside fields the fast path does not read, duplicated fields, and arrays where
/// objects belong: the fast path must decline all of them, never decode them.
#[test]
fn declines_what_the_generic_parser_rejects() {
    let topic = topic(CapturedTable::Orders);
    let good = json!({"op": "c", "source": {"lsn": 5}, "after": bookstore_row(CapturedTable::Orders)}).to_string();
    assert!(fast(&topic, CapturedTable::Orders, None, Some(&good)).is_some());
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let mut broken = Vec::new();
    for raw in ["1e400", r#""\ud800""#, r#""\u00""#, &deep, "01", "tru"] {
        broken.push(good.replace(r#""after":{"#, &format!(r#""after":{{"unread":{raw},"#)));
        broken.push(good.replace(r#""source":{"#, &format!(r#""source":{{"unread":{raw},"#)));
        broken.push(good.replace(r#"{"after""#, &format!(r#"{{"unread":{raw},"after""#)));
    }
    broken.push(good.replace(r#""after":{"#, r#""after":{"total":"1.00","#));
    broken.push(good.replace(r#""op":"c""#, r#""op":"c","op":"c""#));
    broken.push(r#"["c",{"lsn":5},null]"#.to_owned());
    broken.push(good.replace(r#""source":{"lsn":5}"#, r#""source":[null,null,null]"#));
    broken.push(good.clone() + " x");
    for value in &broken {
        assert_ne!(value, &good);
        assert_eq!(table_change(&topic, CapturedTable::Orders, None, Some(value)), None, "{value}");
    }
    for key in [r#"{"id":1e400}"#, r#"["x"]"#, "{", r#"{"id":"a","id":"b"}"#] {
        assert_eq!(table_change(&topic, CapturedTable::Orders, Some(key), Some(&good)), None, "{key}");
    }
}

/// Values for the columns the fast path reads: valid ones of every accepted shape and every kind of wrong one.
fn cell() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(Value::Null)),
        4 => (0u64..4).prop_map(|n| Some(json!(uuid(n, n)))),
        1 => Just(Some(json!("not-a-uuid"))),
        1 => Just(Some(json!(PLACEHOLDER))),
        1 => Just(Some(json!(PLACEHOLDER_BASE64))),
        1 => Just(Some(json!([PLACEHOLDER]))),
        3 => "-?[0-9]{1,6}\\.[0-9]{2}".prop_map(|text| Some(json!(text))),
        1 => prop_oneof![Just("1000"), Just("D54="), Just(""), Just("NaN"), Just("1e3"), Just(" 5 ")]
            .prop_map(|text| Some(json!(text))),
        2 => any::<i32>().prop_map(|n| Some(json!(n))),
        1 => any::<i64>().prop_map(|n| Some(json!(n))),
        1 => any::<u64>().prop_map(|n| Some(json!(n))),
        1 => Just(Some(json!(12.5))),
        1 => Just(Some(json!(true))),
        2 => "20[0-9]{2}-[01][0-9]-[0-3][0-9][T ][0-2][0-9]:[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-][01][0-9]:?[0-5][0-9])?"
            .prop_map(|text| Some(json!(text))),
        1 => Just(Some(json!({"scale": 2, "value": "D54="}))),
        1 => "[a-zA-Z \"\\\\\u{e9}]{0,12}".prop_map(|text| Some(json!(text))),
    ]
}

const COLUMNS: [&str; 17] = [
    "id",
    "title",
    "author",
    "price",
    "genre",
    "isbn",
    "published_year",
    "created_at",
    "user_id",
    "total",
    "status",
    "order_id",
    "book_id",
    "quantity",
    "price_at_purchase",
    "reserved",
    "updated_at",
];

/// A record the fast path decodes: a valid row change of `table` in one of the shapes it models.
fn valid_record() -> impl Strategy<Value = (CapturedTable, Value, Option<Value>)> {
    let ops = prop::sample::select(vec!["c", "u", "d", "r"]);
    let snapshots = prop::sample::select(vec![json!("false"), json!("true"), json!("last"), json!(false), json!(true)]);
    let sequences = prop::sample::select(vec![
        json!("[\"80\",\"90\"]"),
        json!("[null,\"90\"]"),
        json!("[80,90]"),
        json!("[\"+80\",\"90\"]"),
        Value::Null,
    ]);
    let timestamp = prop_oneof![
        "20[0-9]{2}-0[1-9]-[0-2][0-9]T[01][0-9]:[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-]0[0-9]:[0-5][0-9])"
            .prop_map(Value::from),
        (0i64..4_000_000_000_000_000).prop_map(Value::from),
    ];
    (
        (prop::sample::select(CapturedTable::ALL.to_vec()), ops, 0u64..50, 0u8..3, any::<bool>()),
        ("[0-9]{1,5}\\.[0-9]{2}", timestamp, -5i32..5000, "[ -~]{0,8}"),
        (snapshots, sequences, prop::option::of(0u64..1 << 40), 1_000_000_000_000i64..2_000_000_000_000),
    )
        .prop_map(
            |((table, op, n, before, keyed), (decimal, timestamp, int, text), (snapshot, sequence, lsn, ts))| {
                let mut row = bookstore_row(table);
                for (column, value) in row.as_object_mut().into_iter().flatten() {
                    match column.as_str() {
                        "id" | "order_id" | "book_id" => *value = json!(uuid(n % 4, n)),
                        "price" | "total" | "price_at_purchase" => *value = json!(decimal),
                        "created_at" | "updated_at" => *value = timestamp.clone(),
                        "quantity" | "reserved" | "published_year" => *value = json!(int),
                        _ => *value = json!(text),
                    }
                }
                let key_column = if table == CapturedTable::Inventory { "book_id" } else { "id" };
                let key = keyed.then(|| json!({key_column: row[key_column]}));
                let before = match before {
                    0 => Value::Null,
                    1 => row.clone(),
                    _ => json!({key_column: row[key_column], "other": null}),
                };
                let source = json!({"connector": "postgresql", "ts_ms": ts, "snapshot": snapshot, "lsn": lsn,
                                "sequence": sequence, "txId": 7, "xmin": null, "db": "ecom"});
                let after = if op == "d" { Value::Null } else { row };
                (table, json!({"op": op, "source": source, "before": before, "after": after, "ts_ms": ts}), key)
            },
        )
}

/// One change to a valid record: a column, a source field or an envelope field set to something (or removed).
#[derive(Debug, Clone)]
enum Mutation {
    Column(&'static str, Option<Value>),
    Source(&'static str, Option<Value>),
    Envelope(&'static str, Option<Value>),
    Key(Option<Value>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let source_fields = vec![
        "version",
        "connector",
        "name",
        "db",
        "schema",
        "table",
        "ts_ms",
        "ts_us",
        "ts_ns",
        "ts_usec",
        "txId",
        "xmin",
        "snapshot",
        "lsn",
        "sequence",
    ];
    let source_values = vec![
        Value::Null,
        json!(1_700_000_000_000i64),
        json!(-5),
        json!(u64::MAX),
        json!(1.5),
        json!("1"),
        json!("false"),
        json!("new"),
        json!(true),
        json!({}),
        json!([1, 2]),
        json!("[\"1\",\"2\"]"),
        json!("[\"1\"]"),
        json!("[\"-1\",\"2\"]"),
        json!("x"),
    ];
    let envelope_fields = vec!["op", "ts_ms", "transaction", "before", "after", "source", "payload", "message"];
    let envelope_values = vec![
        Value::Null,
        json!("c"),
        json!("u"),
        json!("d"),
        json!("r"),
        json!("t"),
        json!("m"),
        json!("x"),
        json!(1),
        json!(1.5),
        json!({}),
        json!([]),
        json!({"id": "1:2"}),
        json!({"id": uuid(1, 1)}),
    ];
    prop_oneof![
        4 => (prop::sample::select(COLUMNS.to_vec()), cell()).prop_map(|(column, value)| Mutation::Column(column, value)),
        2 => (prop::sample::select(source_fields), optional(source_values))
            .prop_map(|(field, value)| Mutation::Source(field, value)),
        2 => (prop::sample::select(envelope_fields), optional(envelope_values))
            .prop_map(|(field, value)| Mutation::Envelope(field, value)),
        1 => prop_oneof![
            Just(None),
            Just(Some(Value::Null)),
            Just(Some(json!(5))),
            cell().prop_map(|cell| Some(json!({"id": cell, "book_id": cell}))),
            cell().prop_map(|cell| Some(json!({"schema": null, "payload": {"id": cell}}))),
        ].prop_map(Mutation::Key),
    ]
}

fn optional(values: Vec<Value>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![1 => Just(None), 3 => prop::sample::select(values).prop_map(Some)]
}

fn set(object: &mut Value, field: &str, value: Option<Value>) {
    match (object.as_object_mut(), value) {
        (Some(object), Some(value)) => drop(object.insert(field.to_owned(), value)),
        (Some(object), None) => drop(object.remove(field)),
        (None, _) => {}
    }
}

/// Raw text spliced into the envelope: JSON `Value` cannot hold these, and the generic parser rejects some.
fn splice() -> impl Strategy<Value = Option<(&'static str, &'static str)>> {
    let at = prop::sample::select(vec![r#""after":{"#, r#""before":{"#, r#""source":{"#, "{"]);
    let raw = prop::sample::select(vec![
        r#""unread":1e400,"#,
        r#""unread":"\ud800","#,
        r#""unread":"\u00e9\n","#,
        r#""id":"00000000-0000-0000-0000-000000000000","#,
        r#""title":"T","#,
        r#""op":"c","#,
        r#""payload":null,"#,
        r#""unread":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],"#,
    ]);
    prop::option::weighted(0.3, (at, raw))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    /// Whatever the record, the fast path declines or agrees with the generic path: valid records with up to three
    /// changes (wrong types, placeholders, missing fields, other ops, wrappers, raw JSON the generic parser rejects).
    #[test]
    fn fast_path_declines_or_agrees(
        (table, mut envelope, mut key) in valid_record(),
        mutations in prop::collection::vec(mutation(), 0..=3),
        wrapped in prop::bool::weighted(0.05),
        splice in splice(),
        heartbeat_topic in prop::bool::weighted(0.03),
    ) {
        for mutation in mutations {
            match mutation {
                Mutation::Column(column, value) => {
                    set(&mut envelope["after"], column, value.clone());
                    set(&mut envelope["before"], column, value);
                }
                Mutation::Source(field, value) => set(&mut envelope["source"], field, value),
                Mutation::Envelope(field, value) => set(&mut envelope, field, value),
                Mutation::Key(value) => key = value,
            }
        }
        let topic = if heartbeat_topic { format!("__debezium-heartbeat.{}", topic(table)) } else { topic(table) };
        let envelope = if wrapped { json!({"schema": null, "payload": envelope}) } else { envelope };
        let mut value = envelope.to_string();
        if let Some((at, raw)) = splice {
            value = value.replacen(at, &format!("{at}{raw}"), 1);
        }
        let key = key.map(|key| key.to_string());
        fast(&topic, table, key.as_deref(), Some(&value));
    }
}
