//! Applies one table's batch of changes to the analytics database in ONE transaction, together with the source
//! positions the batch reached and the records that could not be decoded: rows and offsets commit or roll back
//! together, which is what makes at-least-once delivery exactly-once in effect.
//!
//! Per key only the newest change counts: a batch is collapsed to the last change per key, an update or delete
//! applies only over an older row (`source_lsn`), and a delete leaves a marker in `cdc_deleted_keys` so that a
//! replayed older insert cannot bring the row back. Keys the table has never seen (no row, no delete marker) are
//! written with `COPY`, PostgreSQL's bulk path (a replay or a snapshot is almost only those); the others with
//! `unnest` over column arrays, one statement per kind of change, whatever the batch size.

pub mod views;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::sqlx::postgres::PgArguments;
use sea_orm::sqlx::query::Query;
use sea_orm::sqlx::{self, PgPool, Postgres, Row as _};
use uuid::Uuid;

use crate::decode::change::{ChangeKind, KeyedChange, TableChange, TableRow};
use crate::sources::topic::CapturedTable;

/// Where a source has been read up to: the next Kafka offset of a topic partition, or the LSN a replication
/// source has applied for one table (partition 0).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Offset {
    pub source: String,
    pub partition: i32,
    pub position: i64,
}

/// A record that could not be decoded, kept for `cdc_parse_errors`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseFailure {
    pub source: String,
    pub position: String,
    pub reason: String,
    pub raw_key: Option<String>,
    pub raw_payload: Option<String>,
}

/// Everything one table stream commits at once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableBatch {
    /// A fresh snapshot: forget everything this table held (rows, delete markers, the offsets being written).
    pub reset: bool,
    pub changes: Vec<TableChange>,
    pub offsets: Vec<Offset>,
    pub failures: Vec<ParseFailure>,
}

impl TableBatch {
    pub fn is_empty(&self) -> bool {
        !self.reset && self.changes.is_empty() && self.offsets.is_empty() && self.failures.is_empty()
    }
}

/// What a committed batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchApplied {
    pub upserts: u64,
    pub deletes: u64,
    pub truncates: u64,
    pub failures: u64,
}

/// The analytics table a captured table feeds, and its key column.
pub fn target(table: CapturedTable) -> (&'static str, &'static str) {
    match table {
        CapturedTable::Books => ("dim_books", "book_id"),
        CapturedTable::Orders => ("fact_orders", "order_id"),
        CapturedTable::OrderItems => ("fact_order_items", "id"),
        CapturedTable::Inventory => ("fact_inventory", "book_id"),
    }
}

/// Non-key columns per table: name, SQL type, and whether NULL means "keep the stored value" (unchanged TOAST;
/// only NOT NULL text columns, where NULL cannot be a real value).
fn columns(table: CapturedTable) -> &'static [(&'static str, &'static str, bool)] {
    match table {
        CapturedTable::Books => &[
            ("title", "text", true),
            ("author", "text", true),
            ("price", "numeric", false),
            ("genre", "text", true),
            ("isbn", "text", true),
            ("published_year", "int4", false),
            ("created_at", "timestamptz", false),
        ],
        CapturedTable::Orders => &[
            ("user_id", "text", true),
            ("total", "numeric", false),
            ("status", "text", true),
            ("created_at", "timestamptz", false),
        ],
        CapturedTable::OrderItems => &[
            ("order_id", "uuid", false),
            ("book_id", "uuid", false),
            ("quantity", "int4", false),
            ("price_at_purchase", "numeric", false),
        ],
        CapturedTable::Inventory => {
            &[("quantity", "int4", false), ("reserved", "int4", false), ("updated_at", "timestamptz", false)]
        }
    }
}

/// One column of a batch, bound as a PostgreSQL array.
#[derive(Debug, Clone)]
enum Array {
    Uuid(Vec<Uuid>),
    Text(Vec<Option<String>>),
    Numeric(Vec<Decimal>),
    Int4(Vec<Option<i32>>),
    Int8(Vec<i64>),
    Timestamp(Vec<Option<DateTime<Utc>>>),
}

fn bind<'q>(mut query: Query<'q, Postgres, PgArguments>, arrays: &[Array]) -> Query<'q, Postgres, PgArguments> {
    for array in arrays {
        query = match array.clone() {
            Array::Uuid(values) => query.bind(values),
            Array::Text(values) => query.bind(values),
            Array::Numeric(values) => query.bind(values),
            Array::Int4(values) => query.bind(values),
            Array::Int8(values) => query.bind(values),
            Array::Timestamp(values) => query.bind(values),
        };
    }
    query
}

/// Column arrays in the order `key, columns(table)…, source_lsn`.
fn arrays(table: CapturedTable, rows: &[(&KeyedChange, &TableRow)]) -> Vec<Array> {
    let key = Array::Uuid(rows.iter().map(|(change, _)| change.key).collect());
    let lsn = Array::Int8(rows.iter().map(|(change, _)| change.position).collect());
    let mut out = vec![key];
    macro_rules! col {
        ($variant:ident, $kind:ident, |$r:ident| $e:expr) => {
            Array::$kind(
                rows.iter()
                    .filter_map(|(_, row)| if let TableRow::$variant($r) = row { Some($e) } else { None })
                    .collect(),
            )
        };
    }
    match table {
        CapturedTable::Books => out.extend([
            col!(Book, Text, |b| b.title.clone()),
            col!(Book, Text, |b| b.author.clone()),
            col!(Book, Numeric, |b| b.price),
            col!(Book, Text, |b| b.genre.clone()),
            col!(Book, Text, |b| b.isbn.clone()),
            col!(Book, Int4, |b| b.published_year),
            col!(Book, Timestamp, |b| b.created_at),
        ]),
        CapturedTable::Orders => out.extend([
            col!(Order, Text, |o| o.user_id.clone()),
            col!(Order, Numeric, |o| o.total),
            col!(Order, Text, |o| o.status.clone()),
            col!(Order, Timestamp, |o| Some(o.created_at)),
        ]),
        CapturedTable::OrderItems => out.extend([
            col!(OrderItem, Uuid, |i| i.order_id),
            col!(OrderItem, Uuid, |i| i.book_id),
            col!(OrderItem, Int4, |i| Some(i.quantity)),
            col!(OrderItem, Numeric, |i| i.price_at_purchase),
        ]),
        CapturedTable::Inventory => out.extend([
            col!(Inventory, Int4, |s| Some(s.quantity)),
            col!(Inventory, Int4, |s| Some(s.reserved)),
            col!(Inventory, Timestamp, |s| Some(s.updated_at)),
        ]),
    }
    out.push(lsn);
    out
}

/// Every column a batch writes, in the order of [`arrays`]: the key, `columns(table)` and `source_lsn`, each with
/// its SQL type and whether NULL means "keep the stored value".
fn written_columns(table: CapturedTable) -> Vec<(&'static str, &'static str, bool)> {
    let (_, key) = target(table);
    let mut all = vec![(key, "uuid", false)];
    all.extend_from_slice(columns(table));
    all.push(("source_lsn", "int8", false));
    all
}

/// `UPDATE` of existing older rows, and `INSERT` of new keys not deleted later (returning the keys it inserted):
/// the two upsert statements.
fn upsert_sql(table: CapturedTable) -> (String, String) {
    let (name, key) = target(table);
    let cols = columns(table);
    let written = written_columns(table);
    let params: Vec<String> = written.iter().enumerate().map(|(i, (_, ty, _))| format!("${}::{ty}[]", i + 1)).collect();
    let names: Vec<&str> = written.iter().map(|(col, _, _)| *col).collect();
    let unnest = format!("unnest({}) AS v({})", params.join(", "), names.join(", "));
    let sets: Vec<String> = cols
        .iter()
        .map(
            |(col, _, keep)| {
                if *keep { format!("{col} = coalesce(v.{col}, t.{col})") } else { format!("{col} = v.{col}") }
            },
        )
        .collect();
    let update = format!(
        "UPDATE {name} AS t SET {}, source_lsn = v.source_lsn, synced_at = clock_timestamp() FROM {unnest} \
         WHERE t.{key} = v.{key} AND (t.source_lsn < v.source_lsn OR (t.source_lsn = 0 AND v.source_lsn = 0))",
        sets.join(", ")
    );
    let values: Vec<String> = cols
        .iter()
        .map(|(col, _, keep)| if *keep { format!("coalesce(v.{col}, '')") } else { format!("v.{col}") })
        .collect();
    let insert = format!(
        "INSERT INTO {name} ({}, synced_at) SELECT v.{key}, {}, v.source_lsn, clock_timestamp() FROM {unnest} \
         WHERE NOT EXISTS (SELECT 1 FROM cdc_deleted_keys d WHERE d.table_name = '{name}' AND d.key = v.{key} \
         AND d.source_lsn >= v.source_lsn) ON CONFLICT ({key}) DO NOTHING RETURNING {key}",
        names.join(", "),
        values.join(", ")
    );
    (update, insert)
}

/// Writes batches for the analytics tables.
#[derive(Clone)]
pub struct Sink {
    pool: PgPool,
    /// A bulk load's sink: its transactions ask the summary triggers to skip their deltas, or switch them off
    /// when the role may (honoured only while the summaries are marked stale; ADR 006, "Bulk loads").
    defer_summaries: bool,
    /// A bulk load's tables that held no rows and no delete markers when it began: a key it upserts there is new
    /// unless the load itself wrote it before, so `COPY` goes without probing first. If it did write it before,
    /// `COPY` fails on the primary key, the batch is applied again the ordinary way, and the table probes from
    /// then on; a delete also ends it (markers exist from then on).
    blank: Arc<Mutex<HashSet<CapturedTable>>>,
}

impl Sink {
    pub fn new(pool: PgPool) -> Self {
        Sink { pool, defer_summaries: false, blank: Arc::default() }
    }

    /// The same sink for a bulk load that marked the summaries stale and rebuilds them at its end.
    pub fn deferring_summaries(self) -> Self {
        Sink { defer_summaries: true, ..self }
    }

    /// The same sink for a bulk load: it notes which tables are blank (no rows, no delete markers) now, and
    /// writes new keys there without probing for them (see [`Sink::blank`]).
    pub async fn bulk_loading(self) -> Result<Self, sqlx::Error> {
        let mut blank = HashSet::new();
        for table in CapturedTable::ALL {
            let (name, _) = target(table);
            let empty: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT NOT EXISTS (SELECT 1 FROM {name}) \
                 AND NOT EXISTS (SELECT 1 FROM cdc_deleted_keys WHERE table_name = '{name}')"
            )))
            .fetch_one(&self.pool)
            .await?;
            if empty {
                blank.insert(table);
            }
        }
        Ok(Sink { blank: Arc::new(Mutex::new(blank)), ..self })
    }

    fn is_blank(&self, table: CapturedTable) -> bool {
        self.blank.lock().expect("blank tables").contains(&table)
    }

    fn no_longer_blank(&self, table: CapturedTable) {
        self.blank.lock().expect("blank tables").remove(&table);
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies `batch` to `table`'s analytics table in one transaction.
    ///
    /// New keys go in with `COPY`, which has no `ON CONFLICT`: if another writer inserts one of them between the
    /// probe and the `COPY` (two consumers of a partition during a rebalance), the batch is applied again without
    /// `COPY`, and the usual per-key ordering decides.
    pub async fn apply(&self, table: CapturedTable, batch: &TableBatch) -> Result<BatchApplied, sqlx::Error> {
        match self.apply_once(table, batch, true).await {
            Err(sqlx::Error::Database(err)) if err.is_unique_violation() => {
                tracing::info!(table = table.table_name(), "a new key was written before; applying without COPY");
                self.no_longer_blank(table);
                self.apply_once(table, batch, false).await
            }
            result => result,
        }
    }

    async fn apply_once(
        &self,
        table: CapturedTable,
        batch: &TableBatch,
        copy: bool,
    ) -> Result<BatchApplied, sqlx::Error> {
        let (name, _) = target(table);
        let mut tx = self.pool.begin().await?;
        if self.defer_summaries {
            // The summary triggers skip (or are switched off, when the role may), and the commit does not wait
            // for its WAL flush: a crash loses at most the last batches together with their offsets, and running
            // the load again applies them again (ADR 006, "Bulk loads").
            sqlx::query("SELECT agg_bulk_begin(), set_config('synchronous_commit', 'off', true)")
                .execute(&mut *tx)
                .await?;
        }
        let mut applied = BatchApplied::default();
        if batch.reset {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {name}"))).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM cdc_deleted_keys WHERE table_name = $1").bind(name).execute(&mut *tx).await?;
            let sources: Vec<String> = batch.offsets.iter().map(|o| o.source.clone()).collect();
            sqlx::query("DELETE FROM materializer_offsets WHERE source = ANY($1)")
                .bind(sources)
                .execute(&mut *tx)
                .await?;
        }
        let mut pending: Vec<&KeyedChange> = Vec::new();
        let mut newest_commit: Option<DateTime<Utc>> = None;
        for change in &batch.changes {
            match change {
                TableChange::Keyed(keyed) => {
                    if keyed.position > 0 {
                        newest_commit = newest_commit.max(keyed.commit_time);
                    }
                    pending.push(keyed);
                }
                TableChange::Truncate { position } => {
                    let probe = applied.deletes > 0 || !self.is_blank(table);
                    flush(&mut tx, table, &pending, copy, probe, &mut applied).await?;
                    pending.clear();
                    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {name} WHERE source_lsn < $1")))
                        .bind(position)
                        .execute(&mut *tx)
                        .await?;
                    applied.truncates += 1;
                }
                TableChange::Ignored => {}
            }
        }
        let probe = applied.deletes > 0 || !self.is_blank(table);
        flush(&mut tx, table, &pending, copy, probe, &mut applied).await?;
        if applied.deletes > 0 {
            self.no_longer_blank(table);
        }
        write_failures(&mut tx, &batch.failures).await?;
        applied.failures = batch.failures.len() as u64;
        write_offsets(&mut tx, &batch.offsets).await?;
        if let Some(commit) = newest_commit {
            sqlx::query(
                "INSERT INTO materializer_freshness (table_name, source_commit_at, arrived_at) \
                 VALUES ($1, $2, clock_timestamp()) ON CONFLICT (table_name) DO UPDATE \
                 SET source_commit_at = excluded.source_commit_at, arrived_at = excluded.arrived_at \
                 WHERE materializer_freshness.source_commit_at <= excluded.source_commit_at",
            )
            .bind(name)
            .bind(commit)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(applied)
    }

    /// Stored positions of the given sources, by (source, partition).
    pub async fn offsets(&self, sources: &[String]) -> Result<HashMap<(String, i32), i64>, sqlx::Error> {
        let rows = sqlx::query("SELECT source, partition, position FROM materializer_offsets WHERE source = ANY($1)")
            .bind(sources.to_vec())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok(((row.try_get("source")?, row.try_get("partition")?), row.try_get("position")?)))
            .collect()
    }
}

type Tx<'c> = sqlx::Transaction<'c, Postgres>;

/// Upserts from this many rows on probe for new keys and `COPY` them; below, one `INSERT` is cheaper than the
/// probe and the `COPY` round trips.
const COPY_FROM: usize = 32;

/// Applies the newest change per key among `pending`: deletes (with their markers), then upserts (new keys with
/// `COPY` if `copy` allows it and there are enough). Without `probe`, every upsert is taken for a new key.
async fn flush(
    tx: &mut Tx<'_>,
    table: CapturedTable,
    pending: &[&KeyedChange],
    copy: bool,
    probe: bool,
    applied: &mut BatchApplied,
) -> Result<(), sqlx::Error> {
    if pending.is_empty() {
        return Ok(());
    }
    // The newest change per key; an upsert missing unchanged-TOAST values takes them from an older upsert of the
    // same batch (the stored row never saw that one).
    let mut newest: HashMap<Uuid, KeyedChange> = HashMap::new();
    for change in pending {
        match newest.get_mut(&change.key) {
            Some(current) if current.position > change.position => {
                if let (ChangeKind::Upsert(newer), ChangeKind::Upsert(older)) = (&mut current.kind, &change.kind) {
                    newer.fill_unavailable(older);
                }
            }
            Some(current) => {
                let older = std::mem::replace(current, (*change).clone());
                if let (ChangeKind::Upsert(newer), ChangeKind::Upsert(older)) = (&mut current.kind, &older.kind) {
                    newer.fill_unavailable(older);
                }
            }
            None => {
                newest.insert(change.key, (*change).clone());
            }
        }
    }
    let mut deletes: Vec<&KeyedChange> = Vec::new();
    let mut upserts: Vec<(&KeyedChange, &TableRow)> = Vec::new();
    for change in newest.values() {
        match &change.kind {
            ChangeKind::Delete => deletes.push(change),
            ChangeKind::Upsert(row) => upserts.push((change, row)),
        }
    }
    let (name, key) = target(table);
    if !deletes.is_empty() {
        let keys: Vec<Uuid> = deletes.iter().map(|c| c.key).collect();
        let positions: Vec<i64> = deletes.iter().map(|c| c.position).collect();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {name} AS t USING unnest($1::uuid[], $2::int8[]) AS v(key, source_lsn) \
             WHERE t.{key} = v.key AND t.source_lsn <= v.source_lsn"
        )))
        .bind(keys.clone())
        .bind(positions.clone())
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO cdc_deleted_keys (table_name, key, source_lsn) \
             SELECT $3, key, source_lsn FROM unnest($1::uuid[], $2::int8[]) AS v(key, source_lsn) \
             ON CONFLICT (table_name, key) DO UPDATE \
             SET source_lsn = greatest(cdc_deleted_keys.source_lsn, excluded.source_lsn), deleted_at = now()",
        )
        .bind(keys)
        .bind(positions)
        .bind(name)
        .execute(&mut **tx)
        .await?;
        applied.deletes += deletes.len() as u64;
    }
    if copy && upserts.len() >= COPY_FROM {
        // Keys with neither a row nor a delete marker can only be inserted: COPY them, the rest goes on below.
        let known = if probe { known_keys(tx, table, &upserts).await? } else { HashSet::new() };
        let fresh: Vec<(&KeyedChange, &TableRow)> =
            upserts.iter().copied().filter(|(change, _)| !known.contains(&change.key)).collect();
        if !fresh.is_empty() {
            copy_in(tx, table, &fresh).await?;
            applied.upserts += fresh.len() as u64;
            upserts.retain(|(change, _)| known.contains(&change.key));
        }
    }
    if !upserts.is_empty() {
        // INSERT first: it takes the keys the table does not hold yet and says which. Only the others can be
        // updates, so a batch of creates sends no UPDATE at all. The result is the same as UPDATE-then-INSERT:
        // the two statements touch disjoint keys, and the summary triggers add their deltas.
        let (update, insert) = upsert_sql(table);
        let inserted: HashSet<Uuid> = bind(sqlx::query(sqlx::AssertSqlSafe(insert)), &arrays(table, &upserts))
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|row| row.try_get::<Uuid, _>(0))
            .collect::<Result<_, _>>()?;
        if inserted.len() < upserts.len() {
            let rest: Vec<(&KeyedChange, &TableRow)> =
                upserts.iter().copied().filter(|(change, _)| !inserted.contains(&change.key)).collect();
            bind(sqlx::query(sqlx::AssertSqlSafe(update)), &arrays(table, &rest)).execute(&mut **tx).await?;
        }
        applied.upserts += upserts.len() as u64;
    }
    Ok(())
}

/// Keys among `upserts` that `table` holds a row or a delete marker for.
async fn known_keys(
    tx: &mut Tx<'_>,
    table: CapturedTable,
    upserts: &[(&KeyedChange, &TableRow)],
) -> Result<HashSet<Uuid>, sqlx::Error> {
    let (name, key) = target(table);
    let keys: Vec<Uuid> = upserts.iter().map(|(change, _)| change.key).collect();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT v.key FROM unnest($1::uuid[]) AS v(key) \
         WHERE EXISTS (SELECT 1 FROM {name} t WHERE t.{key} = v.key) \
         OR EXISTS (SELECT 1 FROM cdc_deleted_keys d WHERE d.table_name = '{name}' AND d.key = v.key)"
    )))
    .bind(keys)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|row| row.try_get::<Uuid, _>(0))
    .collect()
}

/// Inserts `rows` (keys `table` has never seen) with `COPY … FROM STDIN` in text format. `synced_at` takes its
/// default, the transaction's start: a volatile default would make PostgreSQL insert row by row.
async fn copy_in(tx: &mut Tx<'_>, table: CapturedTable, rows: &[(&KeyedChange, &TableRow)]) -> Result<(), sqlx::Error> {
    let (name, _) = target(table);
    let written = written_columns(table);
    let names: Vec<&str> = written.iter().map(|(col, _, _)| *col).collect();
    let arrays = arrays(table, rows);
    let mut data = String::with_capacity(rows.len() * 128);
    for i in 0..rows.len() {
        for (column, array) in arrays.iter().enumerate() {
            if column > 0 {
                data.push('\t');
            }
            // `keep` columns are NOT NULL text: an unavailable value of a row never seen is stored empty, as the
            // INSERT does.
            copy_value(&mut data, array, i, written[column].2);
        }
        data.push('\n');
    }
    let statement = format!("COPY {name} ({}) FROM STDIN", names.join(", "));
    let mut copy = tx.copy_in_raw(&statement).await?;
    if let Err(err) = copy.send(data.into_bytes()).await {
        let _ = copy.abort("the batch could not be sent").await;
        return Err(err);
    }
    copy.finish().await?;
    Ok(())
}

/// Writes value `i` of `array` in COPY's text format (`\N` is NULL; backslash, tab and line breaks escaped).
fn copy_value(out: &mut String, array: &Array, i: usize, keep: bool) {
    let null = |out: &mut String| out.push_str(if keep { "" } else { "\\N" });
    match array {
        Array::Uuid(values) => {
            let _ = write!(out, "{}", values[i]);
        }
        Array::Numeric(values) => {
            let _ = write!(out, "{}", values[i]);
        }
        Array::Int8(values) => {
            let _ = write!(out, "{}", values[i]);
        }
        Array::Int4(values) => match values[i] {
            Some(value) => {
                let _ = write!(out, "{value}");
            }
            None => null(out),
        },
        Array::Timestamp(values) => match values[i] {
            Some(value) => {
                let _ = write!(out, "{}", value.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
            }
            None => null(out),
        },
        Array::Text(values) => match &values[i] {
            Some(text) => {
                for c in text.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
            None => null(out),
        },
    }
}

async fn write_failures(tx: &mut Tx<'_>, failures: &[ParseFailure]) -> Result<(), sqlx::Error> {
    if failures.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&ParseFailure) -> Option<String>| failures.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "INSERT INTO cdc_parse_errors (source, position, reason, raw_key, raw_payload) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])",
    )
    .bind(column(|f| Some(f.source.clone())))
    .bind(column(|f| Some(f.position.clone())))
    .bind(column(|f| Some(f.reason.clone())))
    .bind(column(|f| f.raw_key.clone()))
    .bind(column(|f| f.raw_payload.clone()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn write_offsets(tx: &mut Tx<'_>, offsets: &[Offset]) -> Result<(), sqlx::Error> {
    if offsets.is_empty() {
        return Ok(());
    }
    // One row per (source, partition), the furthest position: ON CONFLICT cannot touch a row twice.
    let mut furthest: HashMap<(&str, i32), i64> = HashMap::new();
    for offset in offsets {
        let entry = furthest.entry((offset.source.as_str(), offset.partition)).or_insert(offset.position);
        *entry = (*entry).max(offset.position);
    }
    let offsets: Vec<Offset> = furthest
        .into_iter()
        .map(|((source, partition), position)| Offset { source: source.to_owned(), partition, position })
        .collect();
    sqlx::query(
        "INSERT INTO materializer_offsets (source, partition, position, updated_at) \
         SELECT s, p, pos, now() FROM unnest($1::text[], $2::int4[], $3::int8[]) AS v(s, p, pos) \
         ON CONFLICT (source, partition) DO UPDATE \
         SET position = greatest(materializer_offsets.position, excluded.position), updated_at = now()",
    )
    .bind(offsets.iter().map(|o| o.source.clone()).collect::<Vec<_>>())
    .bind(offsets.iter().map(|o| o.partition).collect::<Vec<_>>())
    .bind(offsets.iter().map(|o| o.position).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
