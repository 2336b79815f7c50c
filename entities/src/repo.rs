//! Repositories: the only code that writes SQL against the shop's tables. One per concern, each bound to the one
//! database that owns its tables.

pub mod cart;
pub mod catalog;
pub mod order;
pub mod stock;

use sea_orm::{DbErr, RuntimeErr};

/// The PostgreSQL SQLSTATE of a failed statement, to tell constraint violations apart.
pub(crate) fn sql_state(err: &DbErr) -> Option<String> {
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err else {
        return None;
    };
    e.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned())
}

pub(crate) const UNIQUE_VIOLATION: &str = "23505";
pub(crate) const FOREIGN_KEY_VIOLATION: &str = "23503";
pub(crate) const CHECK_VIOLATION: &str = "23514";

/// A comma-separated id list for `string_to_array($n, ',')::uuid[]`: one bound parameter whatever the count.
pub(crate) fn id_list(ids: impl IntoIterator<Item = uuid::Uuid>) -> String {
    ids.into_iter().map(|id| id.to_string()).collect::<Vec<_>>().join(",")
}

/// Whether a database error means "the database is not there right now" (retry later, HTTP 503) rather than a
/// bug: no connection, a dropped connection, or PostgreSQL saying it is shutting down or the database is gone.
pub fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    let runtime = match err {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => return true,
        DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else { return false };
    match sqlx.as_ref() {
        Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
        Sqlx::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "3D000")
        }),
        _ => false,
    }
}
