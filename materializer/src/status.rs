//! What the materializer is doing, shared between its actors and whoever asks (the binary's `/readyz`).
//!
//! Every actor records its own state here when it starts, fails, restarts or applies a batch; readers take a
//! snapshot ([`StatusHandle::snapshot`]) and never block the actors for longer than a copy.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The state of one supervised component (a source, a table stream, the view refresher).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ComponentState {
    Starting,
    Running,
    /// Failed and waiting for its restart (or, for a table, paused at its source until its stream is back).
    Restarting,
    Stopped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentStatus {
    pub state: ComponentState,
    pub restarts: u32,
    pub last_error: Option<String>,
    pub last_activity: Option<DateTime<Utc>>,
    /// Events applied (streams) or delivered (sources) since start.
    pub events: u64,
}

/// A snapshot of the whole tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The tree is up (not given up, not shut down).
    pub running: bool,
    /// Why the supervisor gave up, if it did.
    pub gave_up: Option<String>,
    pub components: BTreeMap<String, ComponentStatus>,
}

impl Status {
    /// Running and every component running: what `/readyz` should require.
    pub fn is_healthy(&self) -> bool {
        self.running && self.components.values().all(|c| c.state == ComponentState::Running)
    }
}

/// A cheap, clonable handle on the live status.
#[derive(Debug, Clone)]
pub struct StatusHandle(Arc<Mutex<Status>>);

impl Default for StatusHandle {
    fn default() -> Self {
        StatusHandle(Arc::new(Mutex::new(Status { running: true, gave_up: None, components: BTreeMap::new() })))
    }
}

impl StatusHandle {
    pub fn snapshot(&self) -> Status {
        self.0.lock().map(|s| s.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    fn update(&self, f: impl FnOnce(&mut Status)) {
        let mut guard = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard);
    }

    fn component(&self, name: &str, f: impl FnOnce(&mut ComponentStatus)) {
        self.update(|status| {
            let entry = status.components.entry(name.to_owned()).or_insert(ComponentStatus {
                state: ComponentState::Starting,
                restarts: 0,
                last_error: None,
                last_activity: None,
                events: 0,
            });
            f(entry);
        });
    }

    pub fn set_state(&self, name: &str, state: ComponentState) {
        self.component(name, |c| c.state = state);
    }

    pub fn failed(&self, name: &str, error: &str) {
        self.component(name, |c| {
            c.state = ComponentState::Restarting;
            c.last_error = Some(error.to_owned());
        });
    }

    pub fn restarted(&self, name: &str) {
        self.component(name, |c| c.restarts += 1);
    }

    pub fn activity(&self, name: &str, events: u64) {
        self.component(name, |c| {
            c.state = ComponentState::Running;
            c.events += events;
            c.last_activity = Some(Utc::now());
        });
    }

    pub fn stopped(&self, gave_up: Option<String>) {
        self.update(|status| {
            status.running = false;
            status.gave_up = status.gave_up.take().or(gave_up);
            for component in status.components.values_mut() {
                component.state = ComponentState::Stopped;
            }
        });
    }
}
