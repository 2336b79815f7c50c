//! The Redis client of every Redis-backed adapter (CSRF tokens, rate budgets), set up once.
//!
//! Redis is shared state for the replicas, not a place of record: when it is away, a request must get a prompt
//! answer (the CSRF check a 503, the rate limiter fails open) rather than wait, and the client must find Redis again
//! by itself when it is back. So commands time out after [`COMMAND_TIMEOUT`] and the connection is re-established
//! forever, with backoff capped at [`MAX_RECONNECT_DELAY_MS`].

use std::time::Duration;

use fred::clients::Client;
use fred::prelude::ClientLike;
use fred::types::Builder;
use fred::types::config::{Config, ReconnectPolicy};

/// How long one command may take, queueing while disconnected included.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest wait between two reconnection attempts.
pub const MAX_RECONNECT_DELAY_MS: u32 = 2_000;

/// A connected client for `url` (`redis://[:password@]host:port[/db]`).
pub async fn connect(url: &str) -> Result<Client, fred::error::Error> {
    let config = Config::from_url(url)?;
    let client = Builder::from_config(config)
        // 0 attempts = no limit: a Redis restart must never leave a replica without its shared state.
        .set_policy(ReconnectPolicy::new_exponential(0, 100, MAX_RECONNECT_DELAY_MS, 2))
        .with_connection_config(|connection| {
            connection.connection_timeout = COMMAND_TIMEOUT;
            connection.internal_command_timeout = COMMAND_TIMEOUT;
        })
        .with_performance_config(|performance| performance.default_command_timeout = COMMAND_TIMEOUT)
        .build()?;
    client.init().await?;
    Ok(client)
}
