//! The materializer's connection pools, all built the same way.

use std::time::Duration;

use sea_orm::sqlx::postgres::PgPoolOptions;

/// A connection idle this long is pinged before use: it may have been dropped by the server or a proxy.
const PING_AFTER_IDLE: Duration = Duration::from_secs(30);

/// Pool options with at most `max_connections`. sqlx pings every connection it hands out by default — one more
/// round trip per transaction; only a connection idle long enough to be stale is checked here.
pub fn options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new().max_connections(max_connections).test_before_acquire(false).before_acquire(|conn, meta| {
        Box::pin(async move {
            if meta.idle_for >= PING_AFTER_IDLE {
                use sea_orm::sqlx::Connection as _;
                conn.ping().await?;
            }
            Ok(true)
        })
    })
}
