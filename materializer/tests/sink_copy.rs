//! The sink's bulk path: a batch's keys the table has never seen go in with `COPY` (text escaping, unavailable
//! values, delete markers and existing rows honoured), and a key another writer inserts while the batch is on its
//! way makes the sink apply the batch again without `COPY`, with the usual per-key ordering.

mod common;

use std::time::Duration;

use bookstore_materializer::CapturedTable;
use bookstore_materializer::change::{BookRow, ChangeKind, KeyedChange, TableChange, TableRow};
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
            created_at: Some(Utc.with_ymd_and_hms(2026, 11, 27, 10, 0, n).unwrap()),
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
    let dbs = TestDbs::new().await;
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
    let dbs = TestDbs::new().await;
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
