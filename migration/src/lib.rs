//! Schema migrations, one migrator per database: [`EcomMigrator`], [`InventoryMigrator`], [`AnalyticsMigrator`].
//!
//! Each service owns its database, so each has its own migration history (`seaql_migrations` lives in each
//! database) and no migration ever reaches across databases. Migrations are plain SQL files under `src/sql/`: the
//! constraints that keep the shop correct (`reserved <= quantity`, unique ISBN, quantity ranges) read best as SQL,
//! and operators can review them without knowing sea-orm.

use sea_orm_migration::prelude::*;

#[cfg(feature = "testing")]
pub mod testing;

/// One forward-only migration: a name (its version in `seaql_migrations`) and the SQL that applies it.
pub struct SqlMigration {
    pub name: &'static str,
    pub up: &'static str,
}

impl MigrationName for SqlMigration {
    fn name(&self) -> &str {
        self.name
    }
}

// The trait's signature (written for async-trait) elides the manager's lifetime; matching it needs the same.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for SqlMigration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared(self.up).await.map(|_| ())
    }
}

macro_rules! sql_migrations {
    ($db:literal: $($name:literal),+ ; $($functions:literal),+ loads $loader:expr $(,)?) => {
        &[
            $(SqlMigration { name: $name, up: include_str!(concat!("sql/", $db, "/", $name, ".sql")) },)+
            $(SqlMigration { name: $functions, up: $loader },)+
        ]
    };
}

/// Every PL/pgSQL and SQL function of a database as it is now, one file per function in
/// `src/sql/functions/<database>/`: the place to read (and change) a function. Gives the list (name, definition)
/// and the SQL that loads them all (each file is one `CREATE OR REPLACE FUNCTION …;`). The migration that loads
/// them comes last; changing a function is changing its file and adding a new functions migration at the end of
/// the list (its name is its version), so every database runs the current definitions. `tests/functions.rs`
/// checks that a migrated database holds exactly these definitions, and no other function.
macro_rules! database_functions {
    ($db:literal: $($name:literal),+ $(,)?) => {
        (
            &[$(($name, include_str!(concat!("sql/functions/", $db, "/", $name, ".sql")))),+],
            concat!($(include_str!(concat!("sql/functions/", $db, "/", $name, ".sql")), "\n"),+),
        )
    };
}

type Functions = (&'static [(&'static str, &'static str)], &'static str);

const ECOM_FN: Functions = database_functions!("ecom": "set_updated_at", "notify_catalog_changed",
    "notify_cart_changed", "notify_carts_truncated", "outbox_relay_by_log");
const INVENTORY_FN: Functions = database_functions!("inventory": "set_updated_at", "stock_apply", "stock_return");
const ANALYTICS_FN: Functions = database_functions!("analytics": "agg_lock", "agg_bulk_lock_shared",
    "agg_defer", "agg_deferred", "agg_bulk_begin", "agg_orders_delta", "agg_items_delta", "agg_fact_orders_changed",
    "agg_fact_order_items_changed", "agg_rebuild");

/// The ecom database's functions, by name, with their defining SQL.
pub const ECOM_FUNCTIONS: &[(&str, &str)] = ECOM_FN.0;
/// The inventory database's functions.
pub const INVENTORY_FUNCTIONS: &[(&str, &str)] = INVENTORY_FN.0;
/// The analytics database's functions.
pub const ANALYTICS_FUNCTIONS: &[(&str, &str)] = ANALYTICS_FN.0;

/// The ecom database: catalog, carts, orders and the order outbox.
pub const ECOM: &[SqlMigration] = sql_migrations!(
    "ecom": "m20261127_000001_catalog_and_orders",
    "m20261127_000002_seed_books",
    "m20261127_000003_idempotency_key_partial_index",
    "m20261206_000004_cart_notify",
    "m20261206_000005_outbox_relay",
    "m20261206_000006_order_lifecycle";
    // Each functions migration loads the current files (CREATE OR REPLACE): a new one re-runs them where an
    // older one already ran.
    "m20261206_000007_functions", "m20261206_000008_functions" loads ECOM_FN.1,
);
/// The inventory database: stock levels and reservations.
pub const INVENTORY: &[SqlMigration] = sql_migrations!("inventory":
    "m20261127_000001_inventory",
    "m20261127_000002_seed_stock",
    "m20261127_000003_stock_apply",
    "m20261127_000004_stock_apply_by_key",
    "m20261128_000005_reservations_natural_key",
    "m20261206_000006_stock_returns";
    "m20261206_000007_functions" loads INVENTORY_FN.1,
);
/// The analytics database: the star schema, CDC bookkeeping and the views (incrementally maintained, ADR 006).
pub const ANALYTICS: &[SqlMigration] = sql_migrations!("analytics":
    "m20261127_000001_star_schema",
    "m20261127_000002_views",
    "m20261127_000003_materializer_state",
    "m20261127_000004_incremental_views",
    "m20261127_000005_summary_index_probes",
    "m20261127_000006_deferred_summaries",
    "m20261127_000007_bulk_loads_skip_triggers",
    "m20261206_000008_revenue_comments";
    "m20261206_000009_functions" loads ANALYTICS_FN.1,
);

fn boxed(list: &'static [SqlMigration]) -> Vec<Box<dyn MigrationTrait>> {
    list.iter().map(|m| Box::new(SqlMigration { name: m.name, up: m.up }) as Box<dyn MigrationTrait>).collect()
}

/// Migrates the ecom database.
pub struct EcomMigrator;
/// Migrates the inventory database.
pub struct InventoryMigrator;
/// Migrates the analytics database.
pub struct AnalyticsMigrator;

#[async_trait::async_trait]
impl MigratorTrait for EcomMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        boxed(ECOM)
    }
}

#[async_trait::async_trait]
impl MigratorTrait for InventoryMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        boxed(INVENTORY)
    }
}

#[async_trait::async_trait]
impl MigratorTrait for AnalyticsMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        boxed(ANALYTICS)
    }
}

/// A digest of a migration list (names and SQL), so test templates are rebuilt whenever a migration changes.
pub fn fingerprint(list: &[SqlMigration]) -> u64 {
    // FNV-1a: stable across Rust versions and processes, unlike `DefaultHasher`.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for m in list {
        for byte in m.name.bytes().chain(m.up.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}
