//! Supervision. The root supervisor owns the long-lived children (the two pool supervisors and the sweeper) and
//! restarts any that fails, with exponential backoff, giving up loudly after a burst. Pool supervisors parent the
//! per-shopper and per-book actors: a failed child is logged and simply left dead, because its pool starts a fresh
//! one, rebuilt from the database, on its next use. So a panic in one shopper's actor never touches another's.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ractor::{Actor, ActorCell, ActorId, ActorProcessingErr, ActorRef, SupervisionEvent};

use crate::commerce::Deps;
use crate::pool::SupervisorSlot;
use crate::sweeper::{Sweeper, SweeperMsg};

/// Parent of one pool's actors.
pub(crate) struct PoolSupervisor {
    pub(crate) pool: &'static str,
}

impl Actor for PoolSupervisor {
    type Msg = ();
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _myself: ActorRef<()>, _args: ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        _myself: ActorRef<()>,
        event: SupervisionEvent,
        _state: &mut (),
    ) -> Result<(), ActorProcessingErr> {
        // Unlike ractor's default, a child's death must not stop this supervisor.
        if let SupervisionEvent::ActorFailed(child, err) = event {
            metrics::counter!("actor_failures_total", "pool" => self.pool).increment(1);
            tracing::error!(pool = self.pool, actor = %child.get_id(), error = %err, "actor failed; its next use starts a fresh one");
        }
        Ok(())
    }
}

/// How eagerly the root restarts its children.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RestartPolicy {
    pub(crate) first_backoff: Duration,
    pub(crate) max_backoff: Duration,
    /// More than this many failures of one child within `window` and the root gives up.
    pub(crate) max_failures: usize,
    pub(crate) window: Duration,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Child {
    CartSupervisor,
    ReservationSupervisor,
    Sweeper,
}

pub(crate) struct Slots {
    pub(crate) carts: SupervisorSlot,
    pub(crate) reservations: SupervisorSlot,
    pub(crate) sweeper: Arc<std::sync::RwLock<Option<ActorRef<SweeperMsg>>>>,
}

pub(crate) struct RootArgs {
    pub(crate) slots: Slots,
    pub(crate) deps: Arc<Deps>,
    pub(crate) policy: RestartPolicy,
}

pub(crate) struct RootState {
    args: RootArgs,
    children: HashMap<ActorId, Child>,
    failures: HashMap<Child, Vec<Instant>>,
}

pub(crate) enum RootMsg {
    Restart(Child),
}

pub(crate) struct Root;

impl Root {
    async fn start_child(
        myself: &ActorRef<RootMsg>,
        state: &mut RootState,
        child: Child,
    ) -> Result<(), ActorProcessingErr> {
        let parent: ActorCell = myself.get_cell();
        let cell = match child {
            Child::CartSupervisor | Child::ReservationSupervisor => {
                let (pool, slot) = match child {
                    Child::CartSupervisor => ("cart session", &state.args.slots.carts),
                    _ => ("reservation", &state.args.slots.reservations),
                };
                let (actor, _) = Actor::spawn_linked(None, PoolSupervisor { pool }, (), parent).await?;
                *slot.write().map_err(|_| "slot poisoned")? = Some(actor.get_cell());
                actor.get_cell()
            }
            Child::Sweeper => {
                let (actor, _) = Actor::spawn_linked(None, Sweeper, state.args.deps.clone(), parent).await?;
                *state.args.slots.sweeper.write().map_err(|_| "slot poisoned")? = Some(actor.clone());
                actor.get_cell()
            }
        };
        state.children.insert(cell.get_id(), child);
        Ok(())
    }
}

impl Actor for Root {
    type Msg = RootMsg;
    type State = RootState;
    type Arguments = RootArgs;

    async fn pre_start(&self, myself: ActorRef<RootMsg>, args: RootArgs) -> Result<RootState, ActorProcessingErr> {
        let mut state = RootState { args, children: HashMap::new(), failures: HashMap::new() };
        for child in [Child::CartSupervisor, Child::ReservationSupervisor, Child::Sweeper] {
            Self::start_child(&myself, &mut state, child).await?;
        }
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<RootMsg>,
        message: RootMsg,
        state: &mut RootState,
    ) -> Result<(), ActorProcessingErr> {
        let RootMsg::Restart(child) = message;
        tracing::warn!(?child, "restarting");
        Self::start_child(&myself, state, child).await
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<RootMsg>,
        event: SupervisionEvent,
        state: &mut RootState,
    ) -> Result<(), ActorProcessingErr> {
        let (cell, why) = match event {
            SupervisionEvent::ActorFailed(cell, err) => (cell, err.to_string()),
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                (cell, reason.unwrap_or_else(|| "stopped".to_owned()))
            }
            _ => return Ok(()),
        };
        let Some(child) = state.children.remove(&cell.get_id()) else { return Ok(()) };
        match child {
            Child::CartSupervisor => *state.args.slots.carts.write().map_err(|_| "slot poisoned")? = None,
            Child::ReservationSupervisor => *state.args.slots.reservations.write().map_err(|_| "slot poisoned")? = None,
            Child::Sweeper => *state.args.slots.sweeper.write().map_err(|_| "slot poisoned")? = None,
        }
        let policy = state.args.policy;
        let now = Instant::now();
        let failures = state.failures.entry(child).or_default();
        failures.retain(|at| now.duration_since(*at) < policy.window);
        failures.push(now);
        metrics::counter!("actor_restarts_total", "child" => format!("{child:?}")).increment(1);
        if failures.len() > policy.max_failures {
            tracing::error!(?child, failures = failures.len(), window = ?policy.window, reason = %why, "giving up: child keeps failing; the shop is unavailable until the process restarts");
            myself.stop(Some(format!("{child:?} failed {} times", failures.len())));
            return Ok(());
        }
        let exponent = u32::try_from(failures.len().saturating_sub(1)).unwrap_or(u32::MAX).min(16);
        let backoff = policy.first_backoff.saturating_mul(2u32.saturating_pow(exponent)).min(policy.max_backoff);
        tracing::error!(?child, reason = %why, ?backoff, "child failed; restarting after backoff");
        myself.send_after(backoff, move || RootMsg::Restart(child));
        Ok(())
    }
}
