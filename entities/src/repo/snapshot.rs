//! A source table read whole, the way the embedded CDC reader's initial snapshot needs it: every column as text,
//! with its type's oid (how logical replication renders values), inside the caller's transaction — the one that
//! runs in the replication slot's exported snapshot, so the read and the stream that follows meet exactly.

use sea_orm::sqlx::{self, PgConnection, Row as _};

/// One column: its name and its type's oid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextColumn {
    pub name: String,
    pub type_oid: u32,
}

/// A table's columns and rows, every value as text (`None` for NULL).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextTable {
    pub columns: Vec<TextColumn>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// Reads `public.<table>` on `conn`. The table is one the caller captures (a fixed name of the shop's schema, never
/// user input).
pub async fn read_as_text(conn: &mut PgConnection, table: &str) -> Result<TextTable, sqlx::Error> {
    let columns: Vec<TextColumn> = sqlx::query(
        "SELECT attname::text AS name, atttypid::int8 AS oid FROM pg_attribute \
         WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
    )
    .bind(format!("public.{table}"))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        Ok(TextColumn {
            name: row.try_get("name")?,
            type_oid: u32::try_from(row.try_get::<i64, _>("oid")?).unwrap_or(0),
        })
    })
    .collect::<Result<_, sqlx::Error>>()?;
    let select: Vec<String> = columns.iter().map(|c| format!("\"{}\"::text", c.name)).collect();
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {} FROM public.\"{table}\"", select.join(", "))))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| (0..columns.len()).map(|i| row.try_get::<Option<String>, _>(i)).collect())
        .collect::<Result<_, _>>()?;
    Ok(TextTable { columns, rows })
}
