//! Restarting supervision, shared by both actor trees of the platform: the shop's (`supervisor.rs`: pool
//! supervisors and the sweeper) and the analytics materializer's (table streams, the view refresher, sources).
//!
//! ractor's default supervisor stops when a child dies and has no restart strategy. [`Supervisor`] starts the
//! children a [`Tree`] names, and when one fails or stops, starts it again after an exponential backoff; more than
//! [`RestartPolicy::max_failures`] failures of one child within [`RestartPolicy::window`] and it gives up loudly: it
//! stops, so whoever watches it (readiness, `Materializer::wait`) sees the tree is gone.

use std::collections::{HashMap, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ractor::{Actor, ActorCell, ActorId, ActorProcessingErr, ActorRef, SupervisionEvent};

/// When and how often a failed child is restarted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartPolicy {
    /// The wait before the first restart; it doubles with each further failure within the window.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// More failures than this of one child within `window`, and the supervisor gives up.
    pub max_failures: usize,
    pub window: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_failures: 5,
            window: Duration::from_secs(60),
        }
    }
}

impl RestartPolicy {
    /// The wait before restarting a child that failed `recent_failures` times within the window.
    pub fn backoff(&self, recent_failures: usize) -> Duration {
        let exponent = u32::try_from(recent_failures.saturating_sub(1)).unwrap_or(u32::MAX).min(16);
        self.first_backoff.saturating_mul(2u32.saturating_pow(exponent)).min(self.max_backoff)
    }
}

/// One supervised tree: its children, how to start one, and what it does around restarts.
pub trait Tree: Send + Sync + 'static {
    /// Names a child (what is restarted, counted and logged).
    type Child: Clone + Debug + Eq + Hash + Send + Sync + 'static;

    /// The tree's name, in logs and in the `actor_restarts_total{tree, child}` metric.
    const NAME: &'static str;

    /// Every child, in the order they start.
    fn children(&self) -> Vec<Self::Child>;

    /// Starts one child, linked to `supervisor`.
    fn spawn(
        &self,
        child: &Self::Child,
        supervisor: ActorCell,
    ) -> impl Future<Output = Result<ActorCell, ActorProcessingErr>> + Send;

    /// A child failed or stopped (called before its restart is scheduled).
    fn exited(&self, _child: &Self::Child, _why: &str) {}

    /// A child is about to be started again.
    fn restarting(&self, _child: &Self::Child) {}

    /// The supervisor gives up and stops.
    fn giving_up(&self, _reason: &str) {}

    /// Whether the tree is shutting down: then a child's exit is expected, not restarted.
    fn stopping(&self) -> bool {
        false
    }
}

/// The supervisor of a [`Tree`].
pub struct Supervisor<T: Tree>(PhantomData<fn() -> T>);

impl<T: Tree> Default for Supervisor<T> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

pub enum SupervisorMsg<C> {
    Restart(C),
}

pub struct SupervisorState<T: Tree> {
    tree: Arc<T>,
    policy: RestartPolicy,
    running: HashMap<ActorId, T::Child>,
    failures: HashMap<T::Child, VecDeque<Instant>>,
}

impl<T: Tree> Supervisor<T> {
    async fn start(myself: &ActorRef<SupervisorMsg<T::Child>>, state: &mut SupervisorState<T>, child: T::Child) {
        match state.tree.spawn(&child, myself.get_cell()).await {
            Ok(cell) => {
                state.running.insert(cell.get_id(), child);
            }
            Err(err) => Self::failed(myself, state, child, &err.to_string()),
        }
    }

    /// Records a failure of `child` and schedules its restart, or gives up.
    fn failed(myself: &ActorRef<SupervisorMsg<T::Child>>, state: &mut SupervisorState<T>, child: T::Child, why: &str) {
        if state.tree.stopping() {
            return;
        }
        state.tree.exited(&child, why);
        let (policy, now) = (state.policy, Instant::now());
        let history = state.failures.entry(child.clone()).or_default();
        history.push_back(now);
        while history.front().is_some_and(|at| now.duration_since(*at) > policy.window) {
            history.pop_front();
        }
        if history.len() > policy.max_failures {
            let reason =
                format!("{child:?} failed {} times within {:?}; giving up: {why}", history.len(), policy.window);
            tracing::error!(tree = T::NAME, "{reason}");
            state.tree.giving_up(&reason);
            myself.stop(Some(reason));
            return;
        }
        let backoff = policy.backoff(history.len());
        metrics::counter!("actor_restarts_total", "tree" => T::NAME, "child" => format!("{child:?}")).increment(1);
        tracing::warn!(tree = T::NAME, ?child, reason = %why, ?backoff, "child failed; restarting after backoff");
        myself.send_after(backoff, move || SupervisorMsg::Restart(child));
    }
}

impl<T: Tree> Actor for Supervisor<T> {
    type Msg = SupervisorMsg<T::Child>;
    type State = SupervisorState<T>;
    type Arguments = (Arc<T>, RestartPolicy);

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        (tree, policy): (Arc<T>, RestartPolicy),
    ) -> Result<Self::State, ActorProcessingErr> {
        let mut state = SupervisorState { tree, policy, running: HashMap::new(), failures: HashMap::new() };
        for child in state.tree.children() {
            Self::start(&myself, &mut state, child).await;
        }
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        SupervisorMsg::Restart(child): Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        if state.tree.stopping() {
            return Ok(());
        }
        state.tree.restarting(&child);
        tracing::info!(tree = T::NAME, ?child, "restarting");
        Self::start(&myself, state, child).await;
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let (cell, why) = match event {
            SupervisionEvent::ActorFailed(cell, err) => (cell, err.to_string()),
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                (cell, reason.unwrap_or_else(|| "stopped".to_owned()))
            }
            _ => return Ok(()),
        };
        if let Some(child) = state.running.remove(&cell.get_id()) {
            Self::failed(&myself, state, child, &why);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RestartPolicy::default();
        let waits: Vec<u128> = (1..=8).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(policy.backoff(10_000), policy.max_backoff);
    }
}
