//! The sink's bulk path: a batch's keys the table has never seen go in with `COPY` (text escaping, unavailable
//! values, delete markers and existing rows honoured), and a key another writer inserts while the batch is on its
//! way makes the sink apply the batch again without `COPY`, with the usual per-key ordering. A bulk load into
//! blank tables copies without probing and still honours a key it meets again; its transactions switch the
//! summary triggers off only while the summaries are marked stale, and a rebuild waits for them.

mod common;

use std::time::Duration;

use bookstore_materializer::CapturedTable;
use bookstore_materializer::decode::change::{BookRow, ChangeKind, KeyedChange, TableChange, TableRow};
use bookstore_materializer::sink::{Sink, TableBatch};
use chrono::{TimeZone, Utc};
use common::*;
use rust_decimal::Decimal;
use uuid::Uuid;

fn key(n: u32) -> Uuid {
    Uuid::parse_str(&seed_book(n)).unwrap()
}

fn book(n: u32, title: Option<&str>, lsn: i64) -> TableChange {
    TableChange::Keyed(KeyedChange {
        key: key(n),
        position: lsn,
        commit_time: None,
        kind: ChangeKind::Upsert(TableRow::Book(BookRow {
            book_id: key(n),
            title: title.map(str::to_owned),
            author: Some(format!("Author {n}")),
            price: Decimal::new(1000 + i64::from(n), 2),
            genre: None,
            isbn: Some(format!("isbn-{n}")),
            published_year: n.is_multiple_of(2).then_some(2000 + n as i32),
            created_at: Some(Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, n % 60).unwrap()),
        })),
    })
}

/// 40 new books, enough for the bulk path; titles that COPY's text format must escape.
fn batch(lsn: i64) -> TableBatch {
    let titles = ["tab\there", "back\\slash", "line\nbreak", "cr\rreturn", "\\N", "naïve — ünïcödé"];
    let changes = (1..=40).map(|n| book(n, Some(titles[n as usize % titles.len()]), lsn)).collect();
    TableBatch { changes, ..TableBatch::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_keys_are_copied_and_known_keys_upserted() {
    let dbs = test_dbs().await;
    let analytics = pool(&dbs.analytics).await;
    // Book 1 exists (older), book 2 was deleted after the batch's changes, book 3 before them.
    exec(
        &analytics,
        &format!(
            "INSERT INTO dim_books (book_id, title, author, price, isbn, source_lsn) VALUES ('{}', 'old', 'a', 1, 'i', 10);
             INSERT INTO cdc_deleted_keys (table_name, key, source_lsn) VALUES ('dim_books', '{}', 100), ('dim_books', '{}', 10);",
            key(1),
            key(2),
            key(3)
        ),
    )
    .await;
    let mut batch = batch(50);
    batch.changes.push(book(41, None, 50)); // an unavailable title on a row never seen: stored empty
    let applied = Sink::new(analytics.clone()).apply(CapturedTable::Books, &batch).await.unwrap();
    assert_eq!(applied.upserts, 41);

    assert_eq!(scalar_i64(&analytics, "SELECT count(*) FROM dim_books").await, 40, "book 2 stays deleted");
    let title = |n: u32| {
        let analytics = analytics.clone();
        async move {
            sea_orm::sqlx::query_scalar::<_, String>("SELECT title FROM dim_books WHERE book_id = $1")
                .bind(key(n))
                .fetch_one(&analytics)
                .await
                .unwrap()
        }
    };
    assert_eq!(title(1).await, "back\\slash", "the existing older row is updated");
    assert_eq!(title(3).await, "cr\rreturn", "a key deleted before the change is inserted");
    assert_eq!(title(6).await, "tab\there");
    assert_eq!(title(8).await, "line\nbreak");
    assert_eq!(title(10).await, "\\N");
    assert_eq!(title(11).await, "naïve — ünïcödé");
    assert_eq!(title(41).await, "");
    assert_eq!(
        json_rows(
            &analytics,
            &format!(
                "SELECT author, price, genre, isbn, published_year, created_at AT TIME ZONE 'UTC' AS created_at, source_lsn FROM dim_books \
                 WHERE book_id IN ('{}', '{}')",
                key(4),
                key(5)
            )
        )
        .await,
        [
            r#"{"author":"Author 4","created_at":"2026-11-27T10:00:04","genre":"","isbn":"isbn-4","price":10.04,"published_year":2004,"source_lsn":50}"#,
            r#"{"author":"Author 5","created_at":"2026-11-27T10:00:05","genre":"","isbn":"isbn-5","price":10.05,"published_year":null,"source_lsn":50}"#,
        ]
    );
    dbs.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_written_meanwhile_makes_the_batch_go_again_without_copy() {
    let dbs = test_dbs().await;
    let analytics = pool(&dbs.analytics).await;
    // Another writer inserts book 5 (an older change) and has not committed when the batch probes for new keys.
    let mut other = analytics.begin().await.unwrap();
    sea_orm::sqlx::query(
        "INSERT INTO dim_books (book_id, title, author, price, isbn, source_lsn) VALUES ($1, 'other', 'a', 1, 'i', 10)",
    )
    .bind(key(5))
    .execute(&mut *other)
    .await
    .unwrap();
    let sink = Sink::new(analytics.clone());
    let applying = tokio::spawn(async move { sink.apply(CapturedTable::Books, &batch(50)).await });
    // The COPY waits on book 5's uncommitted index entry; once the other writer commits, it fails as a duplicate.
    let waiting = eventually(Duration::from_secs(10), || {
        let analytics = analytics.clone();
        async move {
            scalar_i64(
                &analytics,
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'COPY%'",
            )
            .await
                > 0
        }
    })
    .await;
    assert!(waiting, "the COPY never waited on the other writer's row");
    other.commit().await.unwrap();
    let applied = applying.await.unwrap().expect("the batch is applied without COPY");
    assert_eq!(applied.upserts, 40);
    assert_eq!(scalar_i64(&analytics, "SELECT count(*) FROM dim_books").await, 40);
    assert_eq!(
        json_rows(&analytics, &format!("SELECT title, source_lsn FROM dim_books WHERE book_id = '{}'", key(5))).await,
        [r#"{"source_lsn":50,"title":"naïve — ünïcödé"}"#],
        "the newer change wins"
    );
    dbs.drop().await;
}

fn delete(n: u32, lsn: i64) -> TableChange {
    TableChange::Keyed(KeyedChange { key: key(n), position: lsn, commit_time: None, kind: ChangeKind::Delete })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_load_into_blank_tables_honours_keys_it_meets_again() {
    let dbs = test_dbs().await;
    let analytics = pool(&dbs.analytics).await;
    let title = |n: u32| {
        let analytics = analytics.clone();
        async move {
            json_rows(&analytics, &format!("SELECT title, source_lsn FROM dim_books WHERE book_id = '{}'", key(n)))
                .await
        }
    };

    // Book 3 again (newer) among new books: the blind COPY fails on it, the batch goes again the ordinary way.
    let sink = Sink::new(analytics.clone()).deferring_summaries().bulk_loading().await.unwrap();
    sink.apply(CapturedTable::Books, &batch(50)).await.unwrap();
    let mut again =
        TableBatch { changes: (41..=80).map(|n| book(n, Some("new"), 60)).collect(), ..TableBatch::default() };
    again.changes.push(book(3, Some("updated"), 60));
    again.changes.push(book(4, Some("stale"), 40));
    assert_eq!(sink.apply(CapturedTable::Books, &again).await.unwrap().upserts, 42);
    assert_eq!(scalar_i64(&analytics, "SELECT count(*) FROM dim_books").await, 80);
    assert_eq!(title(3).await, [r#"{"source_lsn":60,"title":"updated"}"#]);
    assert_eq!(title(4).await, [r#"{"source_lsn":50,"title":"\\N"}"#], "the newer row stays");

    // After a delete the load probes again: a deleted key's older create stays deleted, a newer one comes back.
    exec(&analytics, "DELETE FROM dim_books").await;
    let sink = Sink::new(analytics.clone()).deferring_summaries().bulk_loading().await.unwrap();
    sink.apply(CapturedTable::Books, &batch(50)).await.unwrap();
    let deleting = TableBatch { changes: vec![delete(5, 70), delete(6, 70)], ..TableBatch::default() };
    sink.apply(CapturedTable::Books, &deleting).await.unwrap();
    let mut late =
        TableBatch { changes: (81..=120).map(|n| book(n, Some("late"), 80)).collect(), ..TableBatch::default() };
    late.changes.push(book(5, Some("older than its delete"), 65));
    late.changes.push(book(6, Some("newer than its delete"), 75));
    sink.apply(CapturedTable::Books, &late).await.unwrap();
    assert_eq!(scalar_i64(&analytics, "SELECT count(*) FROM dim_books").await, 79);
    assert_eq!(title(5).await, Vec::<String>::new(), "book 5 stays deleted");
    assert_eq!(title(6).await, [r#"{"source_lsn":75,"title":"newer than its delete"}"#]);
    dbs.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_loads_skip_the_triggers_only_while_stale_and_a_rebuild_waits_for_them() {
    let dbs = test_dbs().await;
    let analytics = pool(&dbs.analytics).await;
    let order = |n: u32| {
        format!(
            "INSERT INTO fact_orders (order_id, user_id, total, status, created_at) \
             VALUES ('00000002-0000-0000-0000-{n:012}', 'u', 10, 'CONFIRMED', '2026-11-27T10:00:00Z')"
        )
    };
    let counted = "SELECT coalesce(sum(order_count), 0)::int8 FROM agg_orders_by_status";

    // Marked stale: a bulk transaction switches the triggers off; the summaries do not move until a rebuild,
    // which waits for the load in flight and then counts its row.
    exec(&analytics, "SELECT agg_defer()").await;
    let mut load = analytics.begin().await.unwrap();
    let off: bool = sea_orm::sqlx::query_scalar("SELECT agg_bulk_begin()").fetch_one(&mut *load).await.unwrap();
    assert!(off, "the test role may set session_replication_role and the summaries are stale");
    sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(order(1))).execute(&mut *load).await.unwrap();
    let rebuild = {
        let analytics = analytics.clone();
        tokio::spawn(async move { exec(&analytics, "SELECT agg_rebuild()").await })
    };
    let waiting = eventually(Duration::from_secs(10), || {
        let analytics = analytics.clone();
        async move {
            scalar_i64(
                &analytics,
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory' AND query LIKE '%agg_rebuild%'",
            )
            .await
                > 0
        }
    })
    .await;
    assert!(waiting, "the rebuild did not wait for the bulk load");
    assert_eq!(scalar_i64(&analytics, counted).await, 0);
    load.commit().await.unwrap();
    rebuild.await.unwrap();
    assert_eq!(scalar_i64(&analytics, counted).await, 1, "the rebuild counted the load's row");

    // A role that may not set session_replication_role keeps its triggers (they skip their deltas, as before).
    let role = format!("bulk_{}", std::process::id());
    exec(&analytics, &format!("DROP ROLE IF EXISTS {role}; CREATE ROLE {role}")).await;
    exec(&analytics, "SELECT agg_defer()").await;
    let mut load = analytics.begin().await.unwrap();
    sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(format!("SET LOCAL ROLE {role}")))
        .execute(&mut *load)
        .await
        .unwrap();
    let off: bool = sea_orm::sqlx::query_scalar("SELECT agg_bulk_begin()").fetch_one(&mut *load).await.unwrap();
    let replication_role: String = sea_orm::sqlx::query_scalar("SELECT current_setting('session_replication_role')")
        .fetch_one(&mut *load)
        .await
        .unwrap();
    assert_eq!((off, replication_role.as_str()), (false, "origin"));
    load.rollback().await.unwrap();
    exec(&analytics, &format!("DROP ROLE {role}")).await;
    exec(&analytics, "SELECT agg_rebuild()").await;

    // No longer stale: a bulk transaction keeps its triggers and the delta is applied.
    let mut load = analytics.begin().await.unwrap();
    let off: bool = sea_orm::sqlx::query_scalar("SELECT agg_bulk_begin()").fetch_one(&mut *load).await.unwrap();
    assert!(!off);
    sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(order(2))).execute(&mut *load).await.unwrap();
    load.commit().await.unwrap();
    assert_eq!(scalar_i64(&analytics, counted).await, 2);
    assert_eq!(scalar_i64(&analytics, "SELECT count(*) FROM agg_status WHERE stale_since IS NOT NULL").await, 0);
    dbs.drop().await;
}
