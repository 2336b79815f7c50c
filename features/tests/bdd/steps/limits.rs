//! Rate limits. The main server runs with `BOOKSTORE_RATE_LIMITS=off` so no other scenario sees a 429 (anonymous
//! budgets are per IP, and every visitor of this suite is 127.0.0.1). The rate-limit scenarios are to get a server
//! of their own, started on first use with the limits the scenario names and stopped by `main`.
//!
//! TODO(rate limits): the scenarios wait for `BOOKSTORE_RATE_LIMITS` to be implemented by the server; this module
//! holds the start/stop plumbing they will use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use bookstore_features::server::{Server, ServerOptions};

static OPTIONS: OnceLock<ServerOptions> = OnceLock::new();
static SERVERS: OnceLock<Mutex<HashMap<String, Arc<Mutex<Server>>>>> = OnceLock::new();

/// The main server's options, from which the limited servers are derived.
pub fn configure(options: ServerOptions) {
    let _ = OPTIONS.set(options);
}

/// Stops every server these scenarios started.
pub fn stop_servers() {
    let Some(servers) = SERVERS.get() else { return };
    let Ok(mut servers) = servers.lock() else { return };
    for (_, server) in servers.drain() {
        if let Ok(mut server) = server.lock() {
            server.stop();
        }
    }
}
