//! Decodes every real Debezium capture in `tests/debezium-vectors/` (provenance in its README) and checks the
//! decoded facts, so the decoder is held to what the connector really emits rather than to what we think it emits.
//! `every_file_has_a_case` fails when a vector is added without a case here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bookstore_materializer::{
    Cell, ChangeEvent, ColumnValue, DecodeError, LogicalType, Op, Part, Position, Row, RowChange, Snapshot, TimeUnit,
    TransactionEvent, TransactionStatus,
};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/debezium-vectors")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|err| panic!("{name}: {err}"))
}

/// Decodes a value file, with its `.key.json` sibling as the key when there is one.
fn decode(name: &str, topic: &str) -> Result<ChangeEvent, DecodeError> {
    let key_name = name.replace(".json", ".key.json");
    let key = dir().join(&key_name).exists().then(|| read(&key_name));
    ChangeEvent::from_kafka(topic, key.as_deref(), Some(&read(name)))
}

fn row_change(name: &str, topic: &str) -> RowChange {
    match decode(name, topic) {
        Ok(ChangeEvent::Row(change)) => change,
        other => panic!("{name}: expected a row change, got {other:?}"),
    }
}

fn transaction(name: &str) -> TransactionEvent {
    match decode(name, "ecom-connector.transaction") {
        Ok(ChangeEvent::Transaction(event)) => event,
        other => panic!("{name}: expected a transaction record, got {other:?}"),
    }
}

fn after(change: &RowChange) -> &Row {
    change.after.as_ref().expect("after image")
}

fn before(change: &RowChange) -> &Row {
    change.before.as_ref().expect("before image")
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().expect("test timestamp")
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("test decimal")
}

fn text(row: &Row, column: &str) -> String {
    row.string(column).expect(column).value().expect(column)
}

fn int(row: &Row, column: &str) -> i64 {
    row.i64(column).expect(column).value().expect(column)
}

/// Every file in the directory and the test that covers it.
const CASES: &[&str] = &[
    "README.md",
    "01-snapshot-read-with-schema.json",
    "02a-snapshot-read-schemaless-v1.json",
    "02b-update-replica-identity-full.json",
    "02c-create-streaming.json",
    "02d-delete-replica-identity-full.json",
    "03-create-streaming-v2-payload.json",
    "04-update-full-before-v2.5-payload.json",
    "05-snapshot-read-last-schemaless.json",
    "06-update-before-null-replica-identity-default.json",
    "07-update-toast-unavailable-value.json",
    "08a-create-microtimestamp.json",
    "08a-create-microtimestamp.key.json",
    "08b-create-decimal-bytes.json",
    "08b-create-decimal-bytes.key.json",
    "08c-update-decimal-bytes-before-null.json",
    "09a-delete-legacy-0.8-replica-identity-default.json",
    "09b-tombstone.key.json",
    "10a-transaction-begin.json",
    "10b-transaction-end.json",
    "11a-docs-transaction-begin.json",
    "11b-docs-transaction-end.json",
    "12-temporal-types-rw-config.json",
    "13-uuid-json-bytea-types.json",
    "14-numeric-double-mode-rw-config.json",
    "15-logical-message-op-m.json",
    "15-logical-message-op-m.key.json",
    "16-docs-truncate-payload.json",
    "17-docs-create-with-schema-v3.json",
];

#[test]
fn every_file_has_a_case() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir())
        .expect("vector directory")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    let covered: BTreeSet<String> = CASES.iter().map(|name| (*name).to_owned()).collect();
    assert_eq!(on_disk, covered, "a vector file was added or removed without updating its case");
}

#[test]
fn every_file_decodes_or_is_rejected_without_panicking() {
    for name in CASES {
        let bytes = read(name);
        for (key, value) in [(None, Some(bytes.as_slice())), (Some(bytes.as_slice()), None)] {
            if let Err(err) = ChangeEvent::from_kafka("ecom-connector.public.orders", key, value) {
                assert!(!err.to_string().contains('\n'), "{name}: multi-line reason {err}");
            }
        }
    }
}

#[test]
fn readme_is_rejected_as_not_json() {
    let err = ChangeEvent::from_kafka("t", None, Some(&read("README.md"))).unwrap_err();
    assert!(matches!(err, DecodeError::NotJson { part: Part::Value, .. }), "{err:?}");
    assert!(err.to_string().starts_with("value is not JSON: "), "{err}");
}

#[test]
fn v01_snapshot_read_with_schema() {
    let change = row_change("01-snapshot-read-with-schema.json", "fullfillment.inventory.products");
    assert_eq!(change.op, Op::Read);
    assert!(change.before.is_none());
    let row = after(&change);
    assert_eq!(int(row, "id"), 101);
    assert_eq!(text(row, "name"), "scooter");
    assert_eq!(text(row, "description"), "Small 2-wheel scooter");
    assert_eq!(row.decimal("weight", None).unwrap(), ColumnValue::Value(dec("3.14")));
    let id_schema = row.column("id").unwrap().schema.as_ref().expect("schema attached from the envelope");
    assert_eq!(id_schema.connect_type, "int32");
    assert!(!id_schema.optional);
    assert_eq!(row.column("weight").unwrap().schema.as_ref().unwrap().connect_type, "double");
    assert_eq!(change.source.snapshot, Snapshot::True);
    assert_eq!(change.source.connector.as_deref(), Some("postgresql"));
    assert_eq!(change.source.tx_id, Some(601));
    assert_eq!(change.source.lsn, Some(34078720));
    assert_eq!(change.source.xmin, None);
    assert_eq!(change.source.qualified_table().as_deref(), Some("inventory.products"));
    assert_eq!(change.ts_ms, Some(1596001099434));
    assert_eq!(change.transaction, None);
    assert_eq!(Position::of(&change.source), Some(Position { commit_lsn: 0, lsn: 34078720 }));
}

#[test]
fn v02a_schemaless_read_matches_the_with_schema_one() {
    let schemaless = row_change("02a-snapshot-read-schemaless-v1.json", "fullfillment.inventory.products");
    let with_schema = row_change("01-snapshot-read-with-schema.json", "fullfillment.inventory.products");
    assert_eq!(schemaless.op, Op::Read);
    assert!(after(&schemaless).column("id").unwrap().schema.is_none());
    for column in ["id", "name", "description", "weight"] {
        assert_eq!(
            after(&schemaless).column(column).unwrap().cell,
            after(&with_schema).column(column).unwrap().cell,
            "{column}"
        );
    }
    assert_eq!(schemaless.source, with_schema.source);
}

#[test]
fn v02b_update_with_full_before() {
    let change = row_change("02b-update-replica-identity-full.json", "fullfillment.inventory.products");
    assert_eq!(change.op, Op::Update);
    assert_eq!(text(before(&change), "description"), "16oz carpenter's hammer");
    assert_eq!(text(after(&change), "description"), "18oz carpenter hammer");
    assert_eq!(int(before(&change), "id"), 106);
    assert_eq!(after(&change).decimal("weight", Some(2)).unwrap(), ColumnValue::Value(dec("1.00")));
    assert_eq!(change.source.snapshot, Snapshot::False);
    assert!(!change.source.snapshot.is_snapshot());
    assert_eq!(change.source.lsn, Some(34131104));
}

#[test]
fn v02c_streaming_create() {
    let change = row_change("02c-create-streaming.json", "fullfillment.inventory.products");
    assert_eq!(change.op, Op::Create);
    assert_eq!(int(after(&change), "id"), 110);
    assert_eq!(text(after(&change), "name"), "jacket");
    assert_eq!(change.source.tx_id, Some(604));
    assert_eq!(change.source.commit_time(), Some(utc("2020-07-29T08:22:26.488Z")));
}

#[test]
fn v02d_delete_with_full_before() {
    let change = row_change("02d-delete-replica-identity-full.json", "fullfillment.inventory.products");
    assert_eq!(change.op, Op::Delete);
    assert!(change.after.is_none());
    assert_eq!(int(before(&change), "id"), 111);
    assert_eq!(text(before(&change), "description"), "Big 2-wheel scooter ");
    assert_eq!(before(&change).decimal("weight", None).unwrap(), ColumnValue::Value(dec("5.17")));
}

#[test]
fn v03_sequence_orders_by_last_commit_lsn() {
    let change = row_change("03-create-streaming-v2-payload.json", "dbserver1.inventory.customers");
    assert_eq!(change.op, Op::Create);
    assert_eq!(text(after(&change), "email"), "bob@marley.com");
    let sequence = change.source.sequence.expect("sequence");
    assert_eq!(sequence.last_commit_lsn, Some(34442256));
    assert_eq!(sequence.lsn, Some(34466480));
    assert_eq!(Position::of(&change.source), Some(Position { commit_lsn: 34442256, lsn: 34466480 }));
}

#[test]
fn v04_update_with_string_key() {
    let change = row_change("04-update-full-before-v2.5-payload.json", "jxhui-test.public.book");
    assert_eq!(change.op, Op::Update);
    assert_eq!(text(before(&change), "id"), "B002");
    assert_eq!(text(before(&change), "name"), "JIMMY");
    assert_eq!(text(after(&change), "name"), "JIMMY HUI");
    assert_eq!(change.source.db.as_deref(), Some("bookstore"));
    assert_eq!(change.source.qualified_table().as_deref(), Some("public.book"));
    assert_eq!(change.position(), Some(Position { commit_lsn: 23480472, lsn: 23480528 }));
    // A string column is not an integer: the reason names the column and both types.
    let err = after(&change).i64("id").unwrap_err();
    assert_eq!(err.to_string(), r#"column "id": expected an integer but found a string"#);
}

#[test]
fn v05_last_snapshot_record_with_ms_timestamp_and_null_numeric() {
    let change = row_change("05-snapshot-read-last-schemaless.json", "postgres.public.orders");
    assert_eq!(change.op, Op::Read);
    assert_eq!(change.source.snapshot, Snapshot::Last);
    assert!(change.source.snapshot.is_snapshot());
    let row = after(&change);
    assert_eq!(
        row.timestamp("order_date", Some(TimeUnit::Millis)).unwrap(),
        ColumnValue::Value(utc("2019-05-21T09:27:20.002Z"))
    );
    assert_eq!(row.decimal("price", Some(2)).unwrap(), ColumnValue::Null);
    assert_eq!(text(row, "customer_name"), "Alice");
    let sequence = change.source.sequence.unwrap();
    assert_eq!((sequence.last_commit_lsn, sequence.lsn), (None, Some(23911624)));
    // Schemaless integers have no unit of their own.
    let err = row.timestamp("order_date", None).unwrap_err();
    assert!(err.to_string().contains("needs a unit"), "{err}");
}

#[test]
fn v06_update_without_before_comes_after_the_snapshot() {
    let change = row_change("06-update-before-null-replica-identity-default.json", "postgres.public.orders");
    assert_eq!(change.op, Op::Update);
    assert!(change.before.is_none());
    assert_eq!(int(after(&change), "order_id"), 1);
    assert_eq!(text(after(&change), "customer_name"), "Bob");
    let snapshot = row_change("05-snapshot-read-last-schemaless.json", "postgres.public.orders");
    assert!(change.position() > snapshot.position());
    assert_eq!(change.position(), Some(Position { commit_lsn: 0, lsn: 23911952 }));
}

#[test]
fn v07_unchanged_toast_column_is_unavailable() {
    let change = row_change("07-update-toast-unavailable-value.json", "dbserver1.inventory.customers");
    assert_eq!(change.op, Op::Update);
    let row = after(&change);
    assert_eq!(row.column("biography").unwrap().cell, Cell::Unavailable);
    assert_eq!(row.string("biography").unwrap(), ColumnValue::Unavailable);
    assert!(row.string("biography").unwrap().value().is_none(), "the placeholder must never be a value");
    assert_eq!(row.unavailable_columns().collect::<Vec<_>>(), ["biography"]);
    assert_eq!(text(row, "email"), "annek@noanswer.org");
    assert_eq!(change.source.version.as_deref(), Some("0.10.0.Final"));
    assert_eq!(change.source.sequence, None);
    assert_eq!(change.position(), Some(Position { commit_lsn: 0, lsn: 34650016 }));
}

#[test]
fn v08a_micro_timestamp_and_key() {
    let change = row_change("08a-create-microtimestamp.json", "dbserver1.inventory.purchaseorder");
    assert_eq!(change.op, Op::Create);
    assert_eq!(int(change.key.as_ref().expect("key"), "id"), 1);
    let row = after(&change);
    assert_eq!(
        row.timestamp("orderdate", Some(TimeUnit::Micros)).unwrap(),
        ColumnValue::Value(utc("2019-01-31T12:13:01Z"))
    );
    assert_eq!(int(row, "customerid"), 123);
}

#[test]
fn v08a_key_file_alone_is_a_keyless_value() {
    // The key decoded as a value has no op: a reason, not a panic.
    let err = ChangeEvent::from_kafka("t", None, Some(&read("08a-create-microtimestamp.key.json"))).unwrap_err();
    assert_eq!(err, DecodeError::MissingField { field: "op".to_owned() });
}

#[test]
fn v08b_precise_decimal_bytes() {
    let change = row_change("08b-create-decimal-bytes.json", "dbserver1.inventory.orderline");
    assert_eq!(int(change.key.as_ref().unwrap(), "id"), 1);
    let row = after(&change);
    assert_eq!(row.decimal("totalprice", Some(2)).unwrap(), ColumnValue::Value(dec("39.98")));
    assert_eq!(int(row, "quantity"), 2);
    assert_eq!(text(row, "status"), "ENTERED");
    assert_eq!(text(row, "item"), "Debezium in Action");
    // Without a schema or a scale the bytes cannot be read.
    let err = row.decimal("totalprice", None).unwrap_err();
    assert!(err.to_string().contains("need a scale"), "{err}");
}

#[test]
fn v08b_key_file_decodes_as_key() {
    let key = read("08b-create-decimal-bytes.key.json");
    let event = ChangeEvent::from_kafka("dbserver1.inventory.orderline", Some(&key), None).unwrap();
    let ChangeEvent::Tombstone { key } = event else { panic!("{event:?}") };
    assert_eq!(int(&key, "id"), 1);
}

#[test]
fn v08c_update_decimal_without_before() {
    let change = row_change("08c-update-decimal-bytes-before-null.json", "dbserver1.inventory.orderline");
    assert_eq!(change.op, Op::Update);
    assert!(change.before.is_none());
    assert_eq!(after(&change).decimal("totalprice", Some(2)).unwrap(), ColumnValue::Value(dec("29.99")));
    assert_eq!(text(after(&change), "status"), "CANCELLED");
    assert_eq!(int(after(&change), "id"), 2);
}

#[test]
fn v09a_legacy_delete_with_key_only_before() {
    let change = row_change("09a-delete-legacy-0.8-replica-identity-default.json", "DB_TEST_SERVER.public.test_table");
    assert_eq!(change.op, Op::Delete);
    assert!(change.after.is_none());
    assert_eq!(text(before(&change), "id"), "id1       ");
    assert_eq!(before(&change).string("code").unwrap(), ColumnValue::Null);
    let source = &change.source;
    assert_eq!(source.snapshot, Snapshot::False);
    assert_eq!(source.connector, None);
    assert_eq!(source.ts_ms, None);
    assert_eq!(source.ts_usec, Some(1536580521883194000));
    assert_eq!(source.commit_time(), Some(utc("2018-09-10T11:55:21.883194Z")));
    assert_eq!(change.position(), Some(Position { commit_lsn: 0, lsn: 3322629136 }));
}

#[test]
fn v09b_tombstone_carries_the_key() {
    let key = read("09b-tombstone.key.json");
    let event = ChangeEvent::from_kafka("DB_TEST_SERVER.public.test_table", Some(&key), None).unwrap();
    let ChangeEvent::Tombstone { key } = &event else { panic!("{event:?}") };
    assert_eq!(text(key, "id"), "id1       ");
    assert_eq!(event.op(), None);
    assert_eq!(event.position(), None);
}

#[test]
fn v10_transaction_begin_and_end() {
    let begin = transaction("10a-transaction-begin.json");
    assert_eq!(begin.status, TransactionStatus::Begin);
    assert_eq!(begin.id, "35352:3962948040");
    assert_eq!((begin.tx_id, begin.lsn), (Some(35352), Some(3962948040)));
    assert_eq!(begin.event_count, None);
    assert!(begin.data_collections.is_empty());
    let end = transaction("10b-transaction-end.json");
    assert_eq!(end.status, TransactionStatus::End);
    assert_eq!(end.tx_id, begin.tx_id);
    assert_eq!(end.lsn, Some(3962950064));
    assert_eq!(end.event_count, Some(11));
    assert_eq!(end.ts_ms, Some(1704269323180));
    let counts: Vec<_> = end.data_collections.iter().map(|c| (c.data_collection.as_str(), c.event_count)).collect();
    assert_eq!(counts, [("public.orders_tx", 5), ("public.person", 6)]);
}

#[test]
fn v11_docs_transaction_begin_and_end() {
    let begin = transaction("11a-docs-transaction-begin.json");
    assert_eq!(begin.status, TransactionStatus::Begin);
    assert_eq!((begin.tx_id, begin.lsn), (Some(571), Some(53195829)));
    assert_eq!(begin.ts_ms, Some(1486500577125));
    let end = transaction("11b-docs-transaction-end.json");
    assert_eq!(end.status, TransactionStatus::End);
    assert_eq!((end.tx_id, end.lsn), (Some(571), Some(53195832)));
    assert_eq!(end.event_count, Some(2));
    let names: Vec<_> = end.data_collections.iter().map(|c| c.data_collection.as_str()).collect();
    assert_eq!(names, ["s1.a", "s2.a"]);
    assert!(end.data_collections.iter().all(|c| c.event_count == 1));
}

#[test]
fn v12_temporal_types() {
    let change = row_change("12-temporal-types-rw-config.json", "RW_CDC_localhost.test.orders.public.orders");
    assert_eq!(change.op, Op::Read);
    let row = after(&change);
    let ts = |column: &str, unit| row.timestamp(column, unit).unwrap().value().unwrap();
    assert_eq!(ts("o_timestampz_6", None), utc("2011-11-11T03:11:11.123456Z"));
    assert_eq!(ts("o_timestampz_0", None), utc("2011-11-11T03:11:11Z"));
    assert_eq!(ts("o_timestamp_6", Some(TimeUnit::Micros)), utc("2011-11-11T11:11:11.123456Z"));
    assert_eq!(ts("o_timestamp_0", Some(TimeUnit::Millis)), utc("2011-11-11T11:11:11Z"));
    assert_eq!(row.date("o_date").unwrap(), ColumnValue::Value(NaiveDate::from_ymd_opt(1999, 9, 9).unwrap()));
    assert_eq!(text(row, "o_interval"), "P1Y2M3DT4H5M6.78S");
    // A time of day is not a timestamp.
    let err = row.timestamp("o_timez_0", None).unwrap_err();
    assert_eq!(err.to_string(), r#"column "o_timez_0": invalid timestamp "11:11:11Z": not an ISO-8601 date-time"#);
}

#[test]
fn v13_uuid_bytea_json_and_structs() {
    let change = row_change("13-uuid-json-bytea-types.json", "RW_CDC_localhost.test.orders.public.orders");
    let row = after(&change);
    assert_eq!(
        row.uuid("o_uuid").unwrap(),
        ColumnValue::Value(Uuid::parse_str("60f14fe2-f857-404a-b586-3b5375b3259f").unwrap())
    );
    assert_eq!(row.bool("o_boolean").unwrap(), ColumnValue::Value(false));
    assert_eq!(row.bool("o_bit").unwrap(), ColumnValue::Value(true));
    assert_eq!(text(row, "o_bytea"), "ASNFZ4mrze8=");
    assert_eq!(text(row, "o_json"), r#"{"k1": "v1", "k2": 11}"#);
    assert_eq!(text(row, "o_enum"), "polar");
    let err = row.string("o_point").unwrap_err();
    assert_eq!(err.to_string(), r#"column "o_point": expected a string but found an object"#);
    let err = row.uuid("o_varchar").unwrap_err();
    assert!(err.to_string().starts_with(r#"column "o_varchar": invalid uuid "ha""#), "{err}");
    assert!(matches!(row.i64("missing"), Err(DecodeError::MissingColumn { .. })));
}

#[test]
fn v14_numeric_as_doubles() {
    let change = row_change("14-numeric-double-mode-rw-config.json", "RW_CDC_localhost.test.orders.public.orders");
    let row = after(&change);
    let decimal = |column: &str, scale| row.decimal(column, scale).unwrap().value().unwrap();
    assert_eq!(decimal("o_numeric", None), dec("123456.789"));
    assert_eq!(decimal("o_numeric_6_3", Some(3)), dec("123.456"));
    assert_eq!(decimal("o_money", Some(2)), dec("123.12"));
    assert_eq!(decimal("o_money", Some(2)).scale(), 2);
    assert_eq!(int(row, "o_bigint"), i64::MAX);
    assert_eq!(int(row, "o_integer"), 2147483647);
    assert_eq!(int(row, "o_smallint"), 32767);
    let err = row.i64("o_real").unwrap_err();
    assert!(err.to_string().contains("fractional"), "{err}");
}

#[test]
fn v15_logical_message() {
    let event = decode("15-logical-message-op-m.json", "connector-name.message").unwrap();
    assert_eq!(event.op(), Some(Op::Message));
    assert_eq!(event.position(), Some(Position { commit_lsn: 26997744, lsn: 26997904 }));
    let ChangeEvent::Message(message) = event else { panic!("{event:?}") };
    assert_eq!(message.prefix, "test-prefix");
    let content: serde_json::Value = serde_json::from_slice(&message.content).expect("JSON content");
    assert_eq!(content["totalPrice"], serde_json::json!(39.98));
    assert_eq!(message.source.qualified_table(), None);
    assert_eq!(message.source.tx_id, Some(756));
    assert_eq!(message.source.ts_us, Some(1723115239782690));
}

#[test]
fn v15_key_file_is_a_prefix_key() {
    let key = read("15-logical-message-op-m.key.json");
    let ChangeEvent::Tombstone { key } = ChangeEvent::from_kafka("t", Some(&key), None).unwrap() else {
        panic!("expected a tombstone")
    };
    assert_eq!(text(&key, "prefix"), "test-prefix");
}

#[test]
fn v16_truncate() {
    let event = decode("16-docs-truncate-payload.json", "PostgreSQL_server.public.customers").unwrap();
    assert_eq!(event.op(), Some(Op::Truncate));
    let source = event.source().expect("source");
    assert_eq!(source.qualified_table().as_deref(), Some("public.customers"));
    assert_eq!(source.snapshot, Snapshot::False);
    assert_eq!(source.commit_time(), Some(utc("2019-05-28T08:58:24.863112Z")));
    assert_eq!(event.position(), Some(Position { commit_lsn: 0, lsn: 46523128 }));
}

#[test]
fn v17_docs_create_with_v3_schema() {
    let change = row_change("17-docs-create-with-schema-v3.json", "PostgreSQL_server.public.customers");
    assert_eq!(change.op, Op::Create);
    let row = after(&change);
    assert_eq!(int(row, "id"), 1);
    assert_eq!(text(row, "first_name"), "Anne");
    assert_eq!(row.column("email").unwrap().schema.as_ref().unwrap().connect_type, "string");
    assert_eq!(row.column("id").unwrap().schema.as_ref().unwrap().logical, None::<LogicalType>);
    assert_eq!(change.source.snapshot, Snapshot::True);
    assert_eq!(change.source.ts_ns, Some(1559033904863123000));
    assert_eq!(change.position(), Some(Position { commit_lsn: 24023119, lsn: 24023128 }));
}
