//! Test databases for every test suite of the workspace (feature `testing`): each test gets its own ecom,
//! inventory and analytics databases, copied in milliseconds (`CREATE DATABASE … TEMPLATE`) from templates
//! migrated once per migration fingerprint — the crates.io backend's pattern.
//!
//! The server is the machine's PostgreSQL (`BOOKSTORE_TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`). A template is built under a scratch name and renamed when
//! complete, under an advisory lock, so test processes running side by side never see half of one.

use std::time::Duration;

use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

use crate::{ANALYTICS, AnalyticsMigrator, ECOM, EcomMigrator, INVENTORY, InventoryMigrator, SqlMigration};

/// The test server's URL (a database to connect to for administration).
pub fn server_url() -> String {
    std::env::var("BOOKSTORE_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `server_url()` with another database name.
pub fn database_url(name: &str) -> String {
    let server = server_url();
    let base = server.rsplit_once('/').map_or(server.as_str(), |(base, _)| base);
    format!("{base}/{name}")
}

/// One connection to the server for administration.
pub async fn admin() -> DatabaseConnection {
    let mut options = ConnectOptions::new(server_url());
    options.max_connections(1).sqlx_logging(false);
    Database::connect(options).await.expect("the test PostgreSQL server is reachable")
}

/// Runs `sql`, panicking with it and the error when it fails.
pub async fn exec(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn scalar_text(db: &DatabaseConnection, sql: &str) -> Option<String> {
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap();
    row.map(|r| r.try_get::<String>("", "v").unwrap())
}

/// The three databases of the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Ecom,
    Inventory,
    Analytics,
}

impl Service {
    pub const ALL: [Service; 3] = [Service::Ecom, Service::Inventory, Service::Analytics];

    pub fn name(self) -> &'static str {
        match self {
            Service::Ecom => "ecom",
            Service::Inventory => "inventory",
            Service::Analytics => "analytics",
        }
    }

    fn migrations(self) -> &'static [SqlMigration] {
        match self {
            Service::Ecom => ECOM,
            Service::Inventory => INVENTORY,
            Service::Analytics => ANALYTICS,
        }
    }
}

/// The name of `service`'s template for the current migrations, built now if it does not exist yet.
pub async fn template(service: Service) -> String {
    let admin = admin().await;
    exec(&admin, "SELECT pg_advisory_lock(727272)").await;
    let name = format!("bookstore_tpl_{}_{:016x}", service.name(), crate::fingerprint(service.migrations()));
    let exists = scalar_text(&admin, &format!("SELECT datname::text AS v FROM pg_database WHERE datname = '{name}'"))
        .await
        .is_some();
    if !exists {
        let scratch = format!("{name}_building");
        exec(&admin, &format!("DROP DATABASE IF EXISTS {scratch} WITH (FORCE)")).await;
        exec(&admin, &format!("CREATE DATABASE {scratch}")).await;
        let db = Database::connect(database_url(&scratch)).await.unwrap();
        match service {
            Service::Ecom => EcomMigrator::up(&db, None).await,
            Service::Inventory => InventoryMigrator::up(&db, None).await,
            Service::Analytics => AnalyticsMigrator::up(&db, None).await,
        }
        .unwrap_or_else(|e| panic!("migrating the {} template: {e}", service.name()));
        db.close().await.unwrap();
        exec(&admin, &format!("ALTER DATABASE {scratch} RENAME TO {name}")).await;
    }
    exec(&admin, "SELECT pg_advisory_unlock(727272)").await;
    name
}

/// One test's databases, copied from the templates. Dropped (with any replication slot in them, whose reader is
/// terminated) by [`TestDatabases::drop`], or when the value goes out of scope.
pub struct TestDatabases {
    pub ecom: String,
    pub inventory: String,
    pub analytics: String,
    /// Names a test's replication slots start with (slot names are server-wide): unique per test.
    pub slot_prefix: String,
    names: Vec<String>,
}

impl TestDatabases {
    /// Fresh copies of the three templates; `label` starts their names (`<label>_<service>_<random>`).
    pub async fn create(label: &str) -> Self {
        let suffix = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        let admin = admin().await;
        let mut names = Vec::new();
        for service in Service::ALL {
            let template = template(service).await;
            let name = format!("{label}_{}_{suffix}", service.name());
            exec(&admin, &format!("CREATE DATABASE {name} TEMPLATE {template}")).await;
            names.push(name);
        }
        Self {
            ecom: database_url(&names[0]),
            inventory: database_url(&names[1]),
            analytics: database_url(&names[2]),
            slot_prefix: format!("{label}_{suffix}"),
            names,
        }
    }

    /// The URLs of copies that belong to someone else (another replica of the same test): never dropped here.
    pub fn borrowed(other: &TestDatabases) -> Self {
        Self {
            ecom: other.ecom.clone(),
            inventory: other.inventory.clone(),
            analytics: other.analytics.clone(),
            slot_prefix: other.slot_prefix.clone(),
            names: Vec::new(),
        }
    }

    /// The database names of this test's copies (ecom, inventory, analytics, then any extra).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// One more analytics database of this test (computing expected view contents, say).
    pub async fn extra_analytics(&mut self, label: &str) -> String {
        let template = template(Service::Analytics).await;
        let name = format!("{}_{label}", self.names[2]);
        exec(&admin().await, &format!("CREATE DATABASE {name} TEMPLATE {template}")).await;
        self.names.push(name.clone());
        database_url(&name)
    }

    /// Drops one database now (to simulate an outage).
    pub async fn drop_database(&self, service: Service) {
        let name = &self.names[Service::ALL.iter().position(|s| *s == service).unwrap_or(0)];
        exec(&admin().await, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    }

    /// Drops the test's replication slots (terminating their readers) and databases.
    pub async fn drop(mut self) {
        let names = std::mem::take(&mut self.names);
        cleanup(&self.slot_prefix, &names).await;
    }
}

impl Drop for TestDatabases {
    fn drop(&mut self) {
        let names = std::mem::take(&mut self.names);
        if names.is_empty() {
            return;
        }
        let prefix = self.slot_prefix.clone();
        // Drop runs outside any runtime it may block: a thread with its own.
        let _ = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                runtime.block_on(cleanup(&prefix, &names));
            }
        })
        .join();
    }
}

/// Slots first (a database with one cannot be dropped), those the test named and any other in its databases.
async fn cleanup(slot_prefix: &str, names: &[String]) {
    if names.is_empty() {
        return;
    }
    let admin = admin().await;
    let databases = names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(",");
    let ours = format!("(slot_name LIKE '{slot_prefix}%' OR database IN ({databases}))");
    for _ in 0..50 {
        let _ = admin
            .execute_unprepared(&format!(
                "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE {ours} AND active_pid IS NOT NULL"
            ))
            .await;
        let dropped = admin
            .execute_unprepared(&format!(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE {ours} AND NOT active"
            ))
            .await;
        let left = scalar_text(&admin, &format!("SELECT count(*)::text AS v FROM pg_replication_slots WHERE {ours}"))
            .await
            .unwrap_or_default();
        if dropped.is_ok() && left == "0" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for name in names {
        let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    }
}
