//! The three databases and their pools. Each service has its own database, URL setting and pool, and nothing in
//! the code joins across them.

use std::time::Duration;

use bookstore_migration::{AnalyticsMigrator, EcomMigrator, InventoryMigrator};
use clap::ValueEnum;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;

/// Where each database lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatabaseUrls {
    pub ecom: String,
    pub inventory: String,
    pub analytics: String,
}

/// Which database a `bookstore migrate --service` call is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Service {
    Ecom,
    Inventory,
    Analytics,
    All,
}

/// One pool per database.
#[derive(Clone, Debug)]
pub struct Databases {
    pub ecom: DatabaseConnection,
    pub inventory: DatabaseConnection,
    pub analytics: DatabaseConnection,
    /// The `application_name` of every connection of these pools, unique to them: it tells a change this
    /// application made from one another replica made (cart notifications carry it) and names the application's
    /// sessions in `pg_stat_activity`.
    pub instance: String,
}

impl Databases {
    /// The pools of one replica among others: its cart changes are announced to them (`NOTIFY cart_changed`).
    pub async fn connect(urls: &DatabaseUrls) -> Result<Self, DbErr> {
        Self::connect_with(urls, true).await
    }

    /// The pools of a process alone on its databases (the embedded default): there is no other replica to tell of a
    /// cart change, so its connections say `bookstore.cart_notify = off` and the cart trigger stays silent. A
    /// transaction that sends NOTIFY takes a database-wide lock at commit, which serializes every cart write and
    /// checkout: measured, it cost the embedded checkout benchmark about a third of its throughput.
    pub async fn connect_alone(urls: &DatabaseUrls) -> Result<Self, DbErr> {
        Self::connect_with(urls, false).await
    }

    async fn connect_with(urls: &DatabaseUrls, announce_carts: bool) -> Result<Self, DbErr> {
        let instance = format!("bookstore-{:08x}", rand::random::<u32>());
        let ecom_settings: &[(&str, &str)] = if announce_carts { &[] } else { &[("bookstore.cart_notify", "off")] };
        Ok(Self {
            ecom: connect_with_settings(&urls.ecom, 32, &instance, ecom_settings).await?,
            inventory: connect_as(&urls.inventory, 32, &instance).await?,
            analytics: connect_as(&urls.analytics, 8, &instance).await?,
            instance,
        })
    }

    /// The pools with their names, for readiness checks and logs.
    pub fn named(&self) -> [(&'static str, &DatabaseConnection); 3] {
        [("ecom", &self.ecom), ("inventory", &self.inventory), ("analytics", &self.analytics)]
    }

    /// Applies pending migrations. Safe to run from several processes at once (init containers of replicas):
    /// each database's migrations run under a PostgreSQL advisory lock.
    pub async fn migrate(&self, service: Service) -> Result<(), DbErr> {
        for (one, db) in
            [(Service::Ecom, &self.ecom), (Service::Inventory, &self.inventory), (Service::Analytics, &self.analytics)]
        {
            if service == one || service == Service::All {
                migrate(db, one).await?;
            }
        }
        Ok(())
    }

    pub async fn close(self) {
        for db in [self.ecom, self.inventory, self.analytics] {
            if let Err(err) = db.close().await {
                tracing::warn!(error = %err, "closing a database pool failed");
            }
        }
    }
}

/// One small pool (commands that need a single database).
pub async fn connect_one(url: &str) -> Result<DatabaseConnection, DbErr> {
    connect_as(url, 4, "bookstore").await
}

async fn connect_as(url: &str, max_connections: u32, application_name: &str) -> Result<DatabaseConnection, DbErr> {
    connect_with_settings(url, max_connections, application_name, &[]).await
}

/// A pool whose connections carry `settings` (run-time parameters, as `SET` would give them).
async fn connect_with_settings(
    url: &str,
    max_connections: u32,
    application_name: &str,
    settings: &[(&str, &str)],
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    let application_name = application_name.to_owned();
    let settings: Vec<(String, String)> = settings.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    options
        .map_sqlx_postgres_opts(move |opts| opts.application_name(&application_name).options(settings.clone()))
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        // sqlx pings every connection it hands out by default: one more round trip per statement, a third of
        // PostgreSQL's CPU in the checkout benchmark (ADR 010). Only a connection idle long enough to have been
        // dropped by the server or a proxy is worth checking.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        .sqlx_logging(false);
    Database::connect(options).await
}

/// Applies the pending migrations of one service's database, under its advisory lock (`All` does nothing here).
pub async fn migrate(db: &DatabaseConnection, service: Service) -> Result<(), DbErr> {
    match service {
        Service::Ecom => locked(db, EcomMigrator::up(db, None)).await,
        Service::Inventory => locked(db, InventoryMigrator::up(db, None)).await,
        Service::Analytics => locked(db, AnalyticsMigrator::up(db, None)).await,
        Service::All => Ok(()),
    }
}

/// Runs `work` while holding the migration advisory lock of `db` on a connection of its own.
async fn locked(db: &DatabaseConnection, work: impl Future<Output = Result<(), DbErr>>) -> Result<(), DbErr> {
    use sea_orm::sqlx;
    const MIGRATION_LOCK: i64 = 0x626f_6f6b_7374_6f72; // "bookstor"
    let mut conn = db.get_postgres_connection_pool().acquire().await.map_err(|e| DbErr::Custom(e.to_string()))?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    let result = work.await;
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK).execute(&mut *conn).await;
    result
}
