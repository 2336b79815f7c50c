//! Live actors by key (one per shopper, one per book): spawned on first use under a supervisor, stopped after
//! idle time, replaced transparently when one has died.

use std::fmt::Debug;
use std::hash::Hash;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use moka::future::Cache;
use ractor::rpc::CallResult;
use ractor::{Actor, ActorCell, ActorRef, ActorStatus, RpcReplyPort};

use crate::error::CommerceError;

/// Where a pool finds its current supervisor; the root supervisor swaps it when it restarts one.
pub(crate) type SupervisorSlot = Arc<RwLock<Option<ActorCell>>>;

type Spawner<K, A> = Arc<dyn Fn(&K) -> (A, <A as Actor>::Arguments) + Send + Sync>;

pub(crate) struct Pool<K, A: Actor> {
    name: &'static str,
    live: Cache<K, ActorRef<A::Msg>>,
    supervisor: SupervisorSlot,
    spawner: Spawner<K, A>,
    timeout: Duration,
}

impl<K, A: Actor> Clone for Pool<K, A> {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            live: self.live.clone(),
            supervisor: self.supervisor.clone(),
            spawner: self.spawner.clone(),
            timeout: self.timeout,
        }
    }
}

impl<K, A> Pool<K, A>
where
    K: Hash + Eq + Clone + Debug + Send + Sync + 'static,
    A: Actor,
{
    pub(crate) fn new(
        name: &'static str,
        idle: Duration,
        timeout: Duration,
        supervisor: SupervisorSlot,
        spawner: impl Fn(&K) -> (A, A::Arguments) + Send + Sync + 'static,
    ) -> Self {
        let live = Cache::builder()
            .time_to_idle(idle)
            // Passivation: an actor leaves the pool after `idle` without use and stops; its state is in the
            // database, so the next use starts a fresh one from there.
            .eviction_listener(|_key, actor: ActorRef<A::Msg>, _cause| actor.stop(Some("passivated".to_owned())))
            .build();
        Self { name, live, supervisor, spawner: Arc::new(spawner), timeout }
    }

    /// Sends a request to the key's actor and waits for the reply. A dead actor is replaced and the request sent
    /// again only when it provably never reached the old one.
    pub(crate) async fn call<R: Send + 'static>(
        &self,
        key: &K,
        request: impl Fn(RpcReplyPort<R>) -> A::Msg,
    ) -> Result<R, CommerceError> {
        for _ in 0..2 {
            let actor = self.actor(key).await?;
            match actor.call(&request, Some(self.timeout)).await {
                Ok(CallResult::Success(reply)) => return Ok(reply),
                Ok(CallResult::Timeout) => {
                    return Err(CommerceError::Unavailable(format!("{} {key:?} did not answer in time", self.name)));
                }
                Ok(CallResult::SenderError) => {
                    self.live.invalidate(key).await;
                    return Err(CommerceError::Unavailable(format!(
                        "{} {key:?} stopped while handling the request",
                        self.name
                    )));
                }
                Err(_not_delivered) => self.live.invalidate(key).await,
            }
        }
        Err(CommerceError::Unavailable(format!("{} {key:?} could not be started", self.name)))
    }

    async fn actor(&self, key: &K) -> Result<ActorRef<A::Msg>, CommerceError> {
        if let Some(actor) = self.live.get(key).await {
            if matches!(actor.get_status(), ActorStatus::Running | ActorStatus::Starting | ActorStatus::Upgrading) {
                return Ok(actor);
            }
            self.live.invalidate(key).await;
        }
        let supervisor = self
            .supervisor
            .read()
            .map_err(|_| CommerceError::Internal("supervisor slot poisoned".to_owned()))?
            .clone()
            .ok_or_else(|| CommerceError::Unavailable(format!("the {} supervisor is restarting", self.name)))?;
        let (handler, args) = (self.spawner)(key);
        // Concurrent first uses of one key share a single spawn.
        self.live
            .try_get_with(key.clone(), async move {
                A::spawn_linked(None, handler, args, supervisor)
                    .await
                    .map(|(actor, _)| actor)
                    .map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| CommerceError::Unavailable(format!("cannot start {} {key:?}: {e}", self.name)))
    }

    /// Sends `message` to the key's actor if one is live; nothing happens otherwise (there is no copy to update).
    pub(crate) async fn tell_live(&self, key: &K, message: A::Msg) {
        if let Some(actor) = self.live.get(key).await {
            let _ = actor.cast(message);
        }
    }

    /// Sends a message to every live actor.
    pub(crate) fn tell_all(&self, message: impl Fn() -> A::Msg) {
        for (_, actor) in self.live.iter() {
            let _ = actor.cast(message());
        }
    }

    /// Stops actors whose idle time is over (moka evicts lazily; this makes it happen now).
    pub(crate) async fn passivate_idle(&self) {
        self.live.run_pending_tasks().await;
    }

    pub(crate) fn live(&self) -> u64 {
        self.live.entry_count()
    }

    /// The live actor for `key`, if any (fault-injection tests crash it on purpose).
    #[cfg(feature = "fault-injection")]
    pub(crate) async fn existing(&self, key: &K) -> Option<ActorRef<A::Msg>> {
        self.live.get(key).await
    }
}
