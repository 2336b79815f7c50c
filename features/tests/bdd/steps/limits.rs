//! Rate limits. The main server runs with limits off so no other scenario sees a 429; these scenarios get a
//! server of their own, started on first use with the limits the scenario names, and shared by the scenarios
//! that name the same limits.

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
