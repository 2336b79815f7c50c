//! The decoder reads untrusted bytes from Kafka: whatever arrives, it must return an event or a one-line reason,
//! never panic. Random bytes, random JSON in every envelope slot, and byte-level damage to the real vectors.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bookstore_materializer::{ChangeEvent, Row, TimeUnit};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Scalars, weighted towards the shapes the column decoders parse (base64 bytes, decimals, timestamps).
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(Value::from),
        1 => "[A-Za-z0-9+/=._:\\[\\]\" -]{0,24}".prop_map(Value::String),
        1 => Just(json!("__debezium_unavailable_value")),
        1 => Just(json!("[null,\"1\"]")),
        3 => prop::collection::vec(any::<u8>(), 0..20).prop_map(|bytes| Value::String(STANDARD.encode(bytes))),
        1 => (any::<i64>(), prop::collection::vec(any::<u8>(), 0..20))
            .prop_map(|(scale, bytes)| json!({"scale": scale % 64, "value": STANDARD.encode(bytes)})),
        1 => "-?[0-9]{1,30}(\\.[0-9]{0,30})?".prop_map(Value::String),
        1 => "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:?[0-9]{2})?"
            .prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn valid_source() -> impl Strategy<Value = Value> {
    (any::<u64>(), proptest::option::of(any::<u64>()), any::<i64>()).prop_map(|(lsn, commit, ts)| {
        let sequence = json!([commit.map(|c| c.to_string()), lsn.to_string()]).to_string();
        json!({"version": "3.4.0.Final", "connector": "postgresql", "ts_ms": ts, "snapshot": "false",
               "db": "ecom", "schema": "public", "table": "orders", "txId": 1, "lsn": lsn, "sequence": sequence})
    })
}

/// Mostly absent, sometimes anything: optional envelope parts must not make every case fail early.
fn rarely() -> impl Strategy<Value = Value> {
    prop_oneof![4 => Just(Value::Null), 1 => json_value()]
}

/// Mostly a row image (an object of columns), sometimes anything at all.
fn row_or_anything() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => prop::collection::btree_map("[a-z_]{1,8}", prop_oneof![3 => leaf(), 1 => json_value()], 0..6)
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        1 => json_value(),
    ]
}

/// Decodes, then reads every column of every row image with every typed getter; checks reasons are one line.
fn exercise(key: Option<&[u8]>, value: Option<&[u8]>) {
    match ChangeEvent::from_kafka("ecom-connector.public.orders", key, value) {
        Ok(ChangeEvent::Row(change)) => {
            for row in [change.key.as_ref(), change.before.as_ref(), change.after.as_ref()].into_iter().flatten() {
                read_all(row);
            }
            let _ = change.position();
            let _ = change.source.commit_time();
        }
        Ok(ChangeEvent::Tombstone { key }) => read_all(&key),
        Ok(_) => {}
        Err(err) => assert!(!err.to_string().contains('\n'), "multi-line reason: {err}"),
    }
}

fn read_all(row: &Row) {
    let names: Vec<String> = row.names().map(str::to_owned).collect();
    for name in &names {
        let reasons = [
            row.decimal(name, None).err(),
            row.decimal(name, Some(2)).err(),
            row.decimal(name, Some(40)).err(),
            row.timestamp(name, None).err(),
            row.timestamp(name, Some(TimeUnit::Micros)).err(),
            row.timestamp(name, Some(TimeUnit::Nanos)).err(),
            row.date(name).err(),
            row.uuid(name).err(),
            row.i64(name).err(),
            row.string(name).err(),
            row.bool(name).err(),
        ];
        for err in reasons.into_iter().flatten() {
            assert!(!err.to_string().contains('\n'), "multi-line reason: {err}");
        }
    }
}

fn vectors() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/debezium-vectors");
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| std::fs::read(path).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn arbitrary_bytes(key in proptest::option::of(prop::collection::vec(any::<u8>(), 0..64)),
                       value in proptest::option::of(prop::collection::vec(any::<u8>(), 0..256))) {
        exercise(key.as_deref(), value.as_deref());
    }

    #[test]
    fn arbitrary_json_in_every_slot(op in prop_oneof![Just(json!("c")), Just(json!("u")), Just(json!("d")),
                                                      Just(json!("r")), Just(json!("t")), Just(json!("m")), json_value()],
                                    source in prop_oneof![6 => valid_source(), 1 => json_value()],
                                    before in row_or_anything(), after in row_or_anything(),
                                    message in rarely(), transaction in rarely(), key in row_or_anything(),
                                    wrap in any::<bool>(),
                                    overrides in prop::collection::vec((prop_oneof![Just("lsn"), Just("sequence"),
                                        Just("snapshot"), Just("ts_ms"), Just("ts_usec"), Just("txId")], json_value()), 0..2)) {
        let mut source = source;
        if let Value::Object(map) = &mut source {
            for (field, value) in overrides {
                map.insert(field.into(), value);
            }
        }
        let envelope = json!({"op": op, "source": source, "before": before, "after": after,
                              "message": message, "transaction": transaction});
        let value = if wrap { json!({"schema": null, "payload": envelope}) } else { envelope };
        exercise(Some(key.to_string().as_bytes()), Some(value.to_string().as_bytes()));
    }

    #[test]
    fn damaged_vectors(index in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>(),
                       at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let all = vectors();
        let mut bytes = index.get(&all).clone();
        if !bytes.is_empty() {
            let position = at.index(bytes.len());
            if let Some(slot) = bytes.get_mut(position) {
                *slot = byte;
            }
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        exercise(None, Some(&bytes));
        exercise(Some(&bytes), None);
    }
}
