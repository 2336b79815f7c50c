//! [`Commerce`]: the one handle the HTTP layer holds. Starting it spawns the supervision tree; everything else is
//! a request routed to the actor that owns the state.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use bookstore_entities::repo::cart::CartRepo;
use bookstore_entities::repo::catalog::CatalogRepo;
use bookstore_entities::repo::order::OrderRepo;
use bookstore_entities::repo::stock::StockRepo;
use ractor::rpc::CallResult;
use ractor::{Actor, ActorRef, ActorStatus};
use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;

use crate::cart::Carts;
use crate::checkout::Step;
use crate::error::CommerceError;
use crate::orders::Orders;
use crate::reservation::Reservations;
use crate::supervision::{RestartPolicy, Supervisor, SupervisorMsg};
use crate::supervisor::{Child, ShopTree, Slots};
use crate::sweeper::{SweepReport, SweeperMsg};

/// Timings of the shop's actors.
#[derive(Clone, Debug)]
pub struct CommerceConfig {
    /// A cart session with no request for this long is stopped (its cart stays in the database).
    pub cart_idle: Duration,
    /// How long a checkout may hold stock before the sweeper may release it.
    pub reservation_ttl: Duration,
    pub sweep_interval: Duration,
    /// Reservations younger than this are left alone by the sweeper (their checkout is probably still running).
    pub sweep_grace: Duration,
    /// How long a request waits for an actor's answer.
    pub call_timeout: Duration,
}

impl Default for CommerceConfig {
    fn default() -> Self {
        Self {
            cart_idle: Duration::from_secs(300),
            reservation_ttl: Duration::from_secs(120),
            sweep_interval: Duration::from_secs(10),
            sweep_grace: Duration::from_secs(10),
            call_timeout: Duration::from_secs(15),
        }
    }
}

/// What the actors share: repositories, the Reservation actors, timings.
pub(crate) struct Deps {
    pub(crate) carts: CartRepo,
    pub(crate) orders: OrderRepo,
    pub(crate) stock_repo: StockRepo,
    pub(crate) catalog: CatalogRepo,
    pub(crate) reservations: Reservations,
    pub(crate) config: CommerceConfig,
    pub(crate) faults: Faults,
}

/// The running shop. Cheap to clone.
#[derive(Clone)]
pub struct Commerce {
    carts: Carts,
    reservations: Reservations,
    orders: Orders,
    root: ActorRef<SupervisorMsg<Child>>,
    sweeper: Arc<RwLock<Option<ActorRef<SweeperMsg>>>>,
    #[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
    faults: Faults,
    _passivation: Arc<AbortOnDrop>,
}

struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Commerce {
    pub async fn start(
        ecom: DatabaseConnection,
        inventory: DatabaseConnection,
        config: CommerceConfig,
    ) -> Result<Self, CommerceError> {
        let slots = Slots {
            carts: Arc::new(RwLock::new(None)),
            reservations: Arc::new(RwLock::new(None)),
            sweeper: Arc::new(RwLock::new(None)),
        };
        let stock_repo = StockRepo::new(inventory);
        let reservations =
            Reservations::new(stock_repo.clone(), config.cart_idle, config.call_timeout, slots.reservations.clone());
        let faults = Faults::default();
        let deps = Arc::new(Deps {
            carts: CartRepo::new(ecom.clone()),
            orders: OrderRepo::new(ecom.clone()),
            stock_repo,
            catalog: CatalogRepo::new(ecom),
            reservations: reservations.clone(),
            config: config.clone(),
            faults: faults.clone(),
        });
        let carts = Carts::new(deps.clone(), config.cart_idle, config.call_timeout, slots.carts.clone());
        let orders = Orders::new(deps.clone());
        let sweeper = slots.sweeper.clone();
        let tree = Arc::new(ShopTree { slots, deps });
        let (root, _) = Actor::spawn(None, Supervisor::<ShopTree>::default(), (tree, RestartPolicy::default()))
            .await
            .map_err(|e| CommerceError::Internal(format!("cannot start the supervision tree: {e}")))?;

        let (idle_carts, idle_reservations) = (carts.clone(), reservations.clone());
        let passivation = tokio::spawn(async move {
            let mut every = tokio::time::interval((config.cart_idle / 4).max(Duration::from_millis(100)));
            loop {
                every.tick().await;
                idle_carts.passivate_idle().await;
                idle_reservations.passivate_idle().await;
            }
        });
        Ok(Self {
            carts,
            reservations,
            orders,
            root,
            sweeper,
            faults,
            _passivation: Arc::new(AbortOnDrop(passivation)),
        })
    }

    pub fn carts(&self) -> &Carts {
        &self.carts
    }

    /// The Reservation actors: admins' stock changes go through them too.
    pub fn reservations(&self) -> &Reservations {
        &self.reservations
    }

    /// Moves of placed orders: ship, deliver, cancel.
    pub fn orders(&self) -> &Orders {
        &self.orders
    }

    /// Settles abandoned and committed reservations now, rather than at the next tick.
    pub async fn sweep(&self) -> Result<SweepReport, CommerceError> {
        let sweeper = self.sweeper.read().ok().and_then(|s| s.clone());
        let sweeper = sweeper.ok_or_else(|| CommerceError::Unavailable("the sweeper is restarting".to_owned()))?;
        match sweeper.call(SweeperMsg::Now, Some(Duration::from_secs(60))).await {
            Ok(CallResult::Success(report)) => report,
            _ => Err(CommerceError::Unavailable("the sweeper did not answer".to_owned())),
        }
    }

    /// False once the root supervisor has given up (readiness reports it, so the process gets replaced).
    pub fn is_healthy(&self) -> bool {
        matches!(self.root.get_status(), ActorStatus::Running)
    }

    /// Stops every actor.
    pub async fn shutdown(&self) {
        let _ = self.root.stop_and_wait(Some("shutdown".to_owned()), Some(Duration::from_secs(10))).await;
    }

    #[cfg(feature = "fault-injection")]
    pub fn faults(&self) -> &Faults {
        &self.faults
    }
}

/// Crash points for tests: the next checkout to pass an armed point panics there, as a bug or a kill would.
#[derive(Clone, Default)]
pub struct Faults {
    #[cfg(feature = "fault-injection")]
    armed: Arc<std::sync::Mutex<Option<Step>>>,
}

impl Faults {
    pub(crate) fn crash_point(&self, _step: Step) {
        #[cfg(feature = "fault-injection")]
        {
            let fire = self.armed.lock().map(|mut armed| armed.take_if(|s| *s == _step).is_some()).unwrap_or(false);
            if fire {
                panic!("fault injection: checkout crashed after {_step:?}");
            }
        }
    }

    /// The next checkout crashes after reserving its stock, before writing the order.
    #[cfg(feature = "fault-injection")]
    pub fn crash_after_reserve(&self) {
        if let Ok(mut armed) = self.armed.lock() {
            *armed = Some(Step::Reserved);
        }
    }

    /// The next checkout crashes after committing its order, before confirming the reservations.
    #[cfg(feature = "fault-injection")]
    pub fn crash_after_order(&self) {
        if let Ok(mut armed) = self.armed.lock() {
            *armed = Some(Step::Ordered);
        }
    }
}
