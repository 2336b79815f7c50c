//! The shop's supervision tree. The root supervisor ([`crate::supervision::Supervisor`] over [`ShopTree`]) owns the
//! long-lived children (the two pool supervisors and the sweeper) and restarts any that fails, with exponential
//! backoff, giving up loudly after a burst. Pool supervisors parent the
//! per-shopper and per-book actors: a failed child is logged and simply left dead, because its pool starts a fresh
//! one, rebuilt from the database, on its next use. So a panic in one shopper's actor never touches another's.

use std::sync::Arc;

use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, SupervisionEvent};

use crate::commerce::Deps;
use crate::pool::SupervisorSlot;
use crate::supervision::Tree;
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

/// The shop's long-lived children, each restarted by the root supervisor ([`crate::supervision`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Child {
    CartSupervisor,
    ReservationSupervisor,
    Sweeper,
}

/// Where the pools and the shop find the current instance of each child; emptied while it restarts.
pub(crate) struct Slots {
    pub(crate) carts: SupervisorSlot,
    pub(crate) reservations: SupervisorSlot,
    pub(crate) sweeper: Arc<std::sync::RwLock<Option<ActorRef<SweeperMsg>>>>,
}

/// The shop's tree under the root supervisor.
pub(crate) struct ShopTree {
    pub(crate) slots: Slots,
    pub(crate) deps: Arc<Deps>,
}

impl Tree for ShopTree {
    type Child = Child;

    const NAME: &'static str = "shop";

    fn children(&self) -> Vec<Child> {
        vec![Child::CartSupervisor, Child::ReservationSupervisor, Child::Sweeper]
    }

    async fn spawn(&self, child: &Child, parent: ActorCell) -> Result<ActorCell, ActorProcessingErr> {
        Ok(match child {
            Child::CartSupervisor | Child::ReservationSupervisor => {
                let (pool, slot) = match child {
                    Child::CartSupervisor => ("cart session", &self.slots.carts),
                    _ => ("reservation", &self.slots.reservations),
                };
                let (actor, _) = Actor::spawn_linked(None, PoolSupervisor { pool }, (), parent).await?;
                *slot.write().map_err(|_| "slot poisoned")? = Some(actor.get_cell());
                actor.get_cell()
            }
            Child::Sweeper => {
                let (actor, _) = Actor::spawn_linked(None, Sweeper, self.deps.clone(), parent).await?;
                *self.slots.sweeper.write().map_err(|_| "slot poisoned")? = Some(actor.clone());
                actor.get_cell()
            }
        })
    }

    fn exited(&self, child: &Child, _why: &str) {
        // Until it is back, its pool answers "restarting" (503) instead of reaching a dead supervisor.
        // (A poisoned slot is left as it is: the next start replaces its content anyway.)
        match child {
            Child::CartSupervisor => clear(&self.slots.carts),
            Child::ReservationSupervisor => clear(&self.slots.reservations),
            Child::Sweeper => clear(&self.slots.sweeper),
        }
    }

    fn giving_up(&self, reason: &str) {
        tracing::error!(%reason, "the shop is unavailable until the process restarts (readiness fails)");
    }
}

fn clear<T>(slot: &std::sync::RwLock<Option<T>>) {
    if let Ok(mut content) = slot.write() {
        *content = None;
    }
}
