//! Fresh ecom, inventory and analytics databases per test on the machine's PostgreSQL (`BOOKSTORE_TEST_DATABASE_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`, which must run with `wal_level=logical`).
//!
//! Databases are copies of templates migrated once per migration fingerprint (the same templates as the API tests),
//! and a test's replication slots carry its databases' unique suffix; [`TestDbs::drop`] removes both.
#![allow(dead_code)]

pub mod records;
pub mod tansu;
pub mod workload;

use std::future::Future;
use std::time::{Duration, Instant};

use bookstore_migration::{
    ANALYTICS, AnalyticsMigrator, ECOM, EcomMigrator, INVENTORY, InventoryMigrator, SqlMigration,
};
use sea_orm::sqlx::postgres::PgPoolOptions;
use sea_orm::sqlx::{self, PgPool};
use sea_orm::{Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use serde_json::Value;

pub fn server_url() -> String {
    std::env::var("BOOKSTORE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub fn database_url(name: &str) -> String {
    let server = server_url();
    let base = server.rsplit_once('/').map_or(server.as_str(), |(base, _)| base);
    format!("{base}/{name}")
}

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

async fn ensure_template(admin: &PgPool, service: &str, list: &[SqlMigration]) -> String {
    let name = format!("bookstore_tpl_{service}_{:016x}", bookstore_migration::fingerprint(list));
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(admin)
        .await
        .unwrap();
    if exists.is_some() {
        return name;
    }
    let scratch = format!("{name}_building");
    exec(admin, &format!("DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")).await;
    exec(admin, &format!("CREATE DATABASE {scratch}")).await;
    let db: DatabaseConnection = Database::connect(database_url(&scratch)).await.unwrap();
    match service {
        "ecom" => EcomMigrator::up(&db, None).await,
        "inventory" => InventoryMigrator::up(&db, None).await,
        _ => AnalyticsMigrator::up(&db, None).await,
    }
    .unwrap();
    db.close().await.unwrap();
    exec(admin, &format!("ALTER DATABASE {scratch} RENAME TO {name}")).await;
    name
}

/// One test's three databases.
pub struct TestDbs {
    pub ecom: String,
    pub inventory: String,
    pub analytics: String,
    /// Slot prefix for the embedded source: unique per test.
    pub slot_prefix: String,
    names: Vec<String>,
}

impl TestDbs {
    pub async fn new() -> Self {
        let admin = PgPoolOptions::new().max_connections(1).connect(&server_url()).await.unwrap();
        let wal_level: String = sqlx::query_scalar("SHOW wal_level").fetch_one(&admin).await.unwrap();
        assert_eq!(wal_level, "logical", "the test PostgreSQL must run with wal_level=logical");
        exec(&admin, "SELECT pg_advisory_lock(727272)").await;
        let templates = [
            ("ecom", ensure_template(&admin, "ecom", ECOM).await),
            ("inventory", ensure_template(&admin, "inventory", INVENTORY).await),
            ("analytics", ensure_template(&admin, "analytics", ANALYTICS).await),
        ];
        let suffix = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let mut names = Vec::new();
        for (service, template) in &templates {
            let name = format!("mat_{service}_{suffix}");
            exec(&admin, &format!("CREATE DATABASE {name} TEMPLATE {template}")).await;
            names.push(name);
        }
        exec(&admin, "SELECT pg_advisory_unlock(727272)").await;
        admin.close().await;
        TestDbs {
            ecom: database_url(&names[0]),
            inventory: database_url(&names[1]),
            analytics: database_url(&names[2]),
            slot_prefix: format!("mat_{suffix}"),
            names,
        }
    }

    /// A fourth database with the analytics schema, for computing expected view contents.
    pub async fn scratch_analytics(&mut self) -> String {
        let admin = PgPoolOptions::new().max_connections(1).connect(&server_url()).await.unwrap();
        let template = ensure_template(&admin, "analytics", ANALYTICS).await;
        let name = format!("{}_expected", self.names[2]);
        exec(&admin, &format!("CREATE DATABASE {name} TEMPLATE {template}")).await;
        self.names.push(name.clone());
        database_url(&name)
    }

    /// Drops the test's replication slots (terminating their readers) and databases.
    pub async fn drop(self) {
        let admin = PgPoolOptions::new().max_connections(1).connect(&server_url()).await.unwrap();
        let like = format!("{}%", self.slot_prefix);
        for _ in 0..50 {
            sqlx::query("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name LIKE $1 AND active_pid IS NOT NULL")
                .bind(&like)
                .execute(&admin)
                .await
                .unwrap();
            let dropped = sqlx::query(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE $1 AND NOT active",
            )
            .bind(&like)
            .execute(&admin)
            .await;
            let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE $1")
                .bind(&like)
                .fetch_one(&admin)
                .await
                .unwrap();
            if dropped.is_ok() && left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for name in &self.names {
            exec(&admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
    }
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
    let expected = pool(&dbs.scratch_analytics().await).await;
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
