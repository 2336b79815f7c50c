//! Repositories: the only code that writes SQL against the shop's tables. One per concern, each bound to the one
//! database that owns its tables.

pub mod analytics;
pub mod cart;
pub mod catalog;
pub mod order;
pub mod snapshot;
pub mod stock;

/// How much a table holds, as `bookstore reconcile` compares it between a source and analytics: its rows and a
/// summed measure (prices, totals, line values or units, depending on the table).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Measure {
    pub count: i64,
    pub sum: rust_decimal::Decimal,
}

/// A count and a sum read by the query builder (`count`, `sum` columns; a sum over no rows is NULL).
#[derive(Debug, sea_orm::FromQueryResult)]
pub(crate) struct CountSum {
    count: i64,
    sum: Option<rust_decimal::Decimal>,
}

impl From<CountSum> for Measure {
    fn from(row: CountSum) -> Self {
        Self { count: row.count, sum: row.sum.unwrap_or_default() }
    }
}

/// `SELECT count(*), sum(<expr>)` over an entity, as a [`Measure`].
pub(crate) async fn measure<E: sea_orm::EntityTrait>(
    db: &impl sea_orm::ConnectionTrait,
    sum: sea_orm::sea_query::SimpleExpr,
    filter: Option<sea_orm::sea_query::SimpleExpr>,
) -> Result<Measure, DbErr> {
    use sea_orm::sea_query::ExprTrait;
    use sea_orm::{QueryFilter, QuerySelect};
    let mut query = E::find()
        .select_only()
        .column_as(sea_orm::sea_query::Expr::cust("count(*)"), "count")
        .column_as(sea_orm::sea_query::Func::sum(sum).cast_as(sea_orm::sea_query::Alias::new("numeric")), "sum");
    if let Some(filter) = filter {
        query = query.filter(filter);
    }
    Ok(query.into_model::<CountSum>().one(db).await?.map(Measure::from).unwrap_or_default())
}

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
