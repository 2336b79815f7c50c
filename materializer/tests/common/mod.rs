//! Fresh ecom, inventory and analytics databases per test on the machine's PostgreSQL (`BOOKSTORE_TEST_DATABASE_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`, which must run with `wal_level=logical`).
//!
//! Databases are copies of templates migrated once per migration fingerprint (the same templates as the API tests),
//! and a test's replication slots carry its databases' unique suffix; `TestDbs::drop` removes both
//! (`bookstore_migration::testing`, the workspace's one test-database harness).
#![allow(dead_code)]

pub mod records;
pub mod tansu;
pub mod workload;

use std::future::Future;
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::PgPoolOptions;
use sea_orm::sqlx::{self, PgPool};
use serde_json::Value;

use bookstore_migration::ANALYTICS;
pub use bookstore_migration::testing::{TestDatabases as TestDbs, server_url};

pub async fn pool(url: &str) -> PgPool {
    PgPoolOptions::new().max_connections(4).connect(url).await.unwrap_or_else(|e| panic!("{url}: {e}"))
}

pub async fn exec(pool: &PgPool, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

pub async fn scalar_i64(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Rows of a query as JSON text, sorted: compares result sets whatever their order.
pub async fn json_rows(pool: &PgPool, sql: &str) -> Vec<String> {
    let rows: Vec<Value> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT to_jsonb(q) FROM ({sql}) q")))
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut rows: Vec<String> = rows.iter().map(Value::to_string).collect();
    rows.sort();
    rows
}

/// A test's databases (copies of the migrated templates, shared with every test suite of the workspace), on a
/// server that can run the embedded source.
pub async fn test_dbs() -> TestDbs {
    let admin = PgPoolOptions::new().max_connections(1).connect(&server_url()).await.unwrap();
    let wal_level: String = sqlx::query_scalar("SHOW wal_level").fetch_one(&admin).await.unwrap();
    assert_eq!(wal_level, "logical", "the test PostgreSQL must run with wal_level=logical");
    admin.close().await;
    TestDbs::create("mat").await
}

/// Polls `check` until it returns true or `within` passes; returns whether it did.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < within {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The star schema loaded directly from the source tables (no CDC) into `expected`, summaries recomputed: the
/// tables the views' definitions are computed over.
pub async fn load_directly(ecom: &PgPool, inventory: &PgPool, expected: &PgPool) {
    let copy = [
        (
            ecom,
            "books",
            "INSERT INTO dim_books (book_id, title, author, price, genre, isbn, published_year, created_at) \
          SELECT id, title, author, price, genre, isbn, published_year, created_at FROM jsonb_to_recordset($1) AS r(id uuid, \
          title text, author text, price numeric, genre text, isbn text, published_year int, created_at timestamptz)",
        ),
        (
            ecom,
            "orders",
            "INSERT INTO fact_orders (order_id, user_id, total, status, created_at) \
          SELECT id, user_id, total, status, created_at FROM jsonb_to_recordset($1) AS r(id uuid, user_id text, \
          total numeric, status text, created_at timestamptz)",
        ),
        (
            ecom,
            "order_items",
            "INSERT INTO fact_order_items (id, order_id, book_id, quantity, price_at_purchase) \
          SELECT id, order_id, book_id, quantity, price_at_purchase FROM jsonb_to_recordset($1) AS r(id uuid, \
          order_id uuid, book_id uuid, quantity int, price_at_purchase numeric)",
        ),
        (
            inventory,
            "inventory",
            "INSERT INTO fact_inventory (book_id, quantity, reserved, updated_at) \
          SELECT book_id, quantity, reserved, updated_at FROM jsonb_to_recordset($1) AS r(book_id uuid, quantity int, \
          reserved int, updated_at timestamptz)",
        ),
    ];
    for (source, table, insert) in copy {
        let rows: Value = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]'::jsonb) FROM {table} t"
        )))
        .fetch_one(source)
        .await
        .unwrap();
        sqlx::query(insert).bind(rows).execute(expected).await.unwrap();
    }
    bookstore_materializer::sink::views::rebuild_views(expected).await.unwrap();
}

/// The defining query of `view` as docs/API.md states it: the original `CREATE MATERIALIZED VIEW … AS <query>;` of the
/// views migration, which reads the fact tables directly (the live views read incrementally kept summaries).
pub fn defining_query(view: &str) -> String {
    let sql = ANALYTICS.iter().find(|m| m.name.ends_with("_views")).expect("the views migration").up;
    let head = format!("CREATE MATERIALIZED VIEW {view} AS");
    let start = sql.find(&head).unwrap_or_else(|| panic!("{view} is not in the views migration")) + head.len();
    sql[start..].split(';').next().unwrap().to_owned()
}

/// The ten business views of `actual` beside their defining queries (docs/API.md) run over the tables of `expected`,
/// as sorted JSON rows; returns the names of the views that differ.
pub async fn differing_views(actual: &PgPool, expected: &PgPool) -> Vec<String> {
    let mut differing = Vec::new();
    for (view, _) in bookstore_materializer::VIEWS {
        let (a, e) = (
            json_rows(actual, &format!("SELECT * FROM {view}")).await,
            json_rows(expected, &defining_query(view)).await,
        );
        if a != e {
            eprintln!("{view} differs:\n actual   {a:?}\n expected {e:?}");
            differing.push(view.to_owned());
        }
    }
    differing
}

/// After a fault-injection run: waits (up to `within`) until every star-schema row equals its source row, checks
/// that no order is duplicated and nothing failed to parse, then that the ten views equal their definitions
/// computed over the source rows (loaded directly into a scratch analytics database). `context` (the seed, a log)
/// goes into the failure messages.
pub async fn assert_converged(
    dbs: &mut TestDbs,
    (ecom, inventory, analytics): (&PgPool, &PgPool, &PgPool),
    within: Duration,
    context: impl Fn() -> String,
) {
    let caught_up =
        eventually(within, || async { differing_tables(analytics, ecom, inventory).await.is_empty() }).await;
    assert!(caught_up, "analytics equals the sources; {}", context());
    let orders = scalar_i64(ecom, "SELECT count(*) FROM orders").await;
    assert_eq!(scalar_i64(analytics, "SELECT count(*) FROM fact_orders").await, orders, "no duplicates");
    assert_eq!(scalar_i64(analytics, "SELECT count(*) FROM cdc_parse_errors").await, 0, "{}", context());
    let expected = pool(&dbs.extra_analytics("expected").await).await;
    load_directly(ecom, inventory, &expected).await;
    let views =
        eventually(Duration::from_secs(30), || async { differing_views(analytics, &expected).await.is_empty() }).await;
    assert!(views, "0 view rows differ; {}", context());
    expected.close().await;
}

/// Every star-schema row (without bookkeeping columns) beside the same rows read from the sources; returns the
/// tables that differ.
pub async fn differing_tables(analytics: &PgPool, ecom: &PgPool, inventory: &PgPool) -> Vec<String> {
    let queries = [
        (
            "dim_books",
            "SELECT book_id, title, author, price, genre, isbn, published_year, created_at FROM dim_books",
            ecom,
            "SELECT id AS book_id, title, author, price, genre, isbn, published_year, created_at FROM books",
        ),
        (
            "fact_orders",
            "SELECT order_id, user_id, total, status, created_at FROM fact_orders",
            ecom,
            "SELECT id AS order_id, user_id, total, status, created_at FROM orders",
        ),
        (
            "fact_order_items",
            "SELECT id, order_id, book_id, quantity, price_at_purchase FROM fact_order_items",
            ecom,
            "SELECT id, order_id, book_id, quantity, price_at_purchase FROM order_items",
        ),
        (
            "fact_inventory",
            "SELECT book_id, quantity, reserved, updated_at FROM fact_inventory",
            inventory,
            "SELECT book_id, quantity, reserved, updated_at FROM inventory",
        ),
    ];
    let mut differing = Vec::new();
    for (table, analytics_sql, source, source_sql) in queries {
        let (a, e) = (json_rows(analytics, analytics_sql).await, json_rows(source, source_sql).await);
        if a != e {
            let only_analytics: Vec<_> = a.iter().filter(|r| !e.contains(r)).take(3).collect();
            let only_source: Vec<_> = e.iter().filter(|r| !a.contains(r)).take(3).collect();
            eprintln!(
                "{table}: {} analytics rows vs {} source rows; only in analytics {only_analytics:?}; only in source {only_source:?}",
                a.len(),
                e.len()
            );
            differing.push(table.to_owned());
        }
    }
    differing
}

/// Book `n` (1–10) of the seed data.
pub fn seed_book(n: u32) -> String {
    format!("00000000-0000-0000-0000-{n:012}")
}

/// Places an order of `(seed book, quantity)` lines at current prices, in one ecom transaction; returns its id.
pub async fn place_order(ecom: &PgPool, user: &str, lines: &[(u32, i32)]) -> String {
    let mut tx = ecom.begin().await.unwrap();
    let id: uuid::Uuid =
        sqlx::query_scalar("INSERT INTO orders (user_id, total, status) VALUES ($1, 0, 'CONFIRMED') RETURNING id")
            .bind(user)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    for (book, quantity) in lines {
        sqlx::query(
            "INSERT INTO order_items (order_id, book_id, quantity, price_at_purchase) \
             SELECT $1, id, $3, price FROM books WHERE id = $2::uuid \
             ON CONFLICT (order_id, book_id) DO UPDATE SET quantity = order_items.quantity + excluded.quantity",
        )
        .bind(id)
        .bind(seed_book(*book))
        .bind(quantity)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    sqlx::query(
        "UPDATE orders SET total = (SELECT coalesce(sum(quantity * price_at_purchase), 0) FROM order_items \
         WHERE order_id = $1) WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id.to_string()
}
