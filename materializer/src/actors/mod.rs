//! The materializer's actor tree (ractor): one stream actor per analytics table, the view refresher, and one source
//! actor per CDC source, under the platform's restarting supervisor ([`bookstore_actors::supervision`]): a failed
//! child is restarted after an exponential backoff, and more than `max_failures` failures of one child within
//! `window` make the supervisor give up loudly (it stops, and [`crate::Materializer::wait`] returns the reason).
//! Actor names are global in ractor, so every name carries the tree's unique prefix.

pub mod refresher;
pub mod source;
pub mod stream;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bookstore_actors::supervision::Tree;
use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef};

use crate::sink::{Sink, target};
use crate::sources::kafka::{KafkaSettings, KafkaSource};
use crate::sources::replication::{ReplicationSettings, ReplicationSource};
use crate::sources::topic::CapturedTable;
use crate::status::StatusHandle;
use refresher::{RefresherActor, RefresherMsg};
use source::SourceActor;
use stream::{StreamActor, StreamMsg};

/// When and how often a failed child is restarted (the materializer allows more failures than the default).
pub use bookstore_actors::supervision::RestartPolicy;

/// The materializer's restart policy unless configured otherwise: up to 10 failures of one child a minute.
pub fn default_restart_policy() -> RestartPolicy {
    RestartPolicy { max_failures: 10, ..RestartPolicy::default() }
}

/// Tunables of a running tree.
#[derive(Debug, Clone)]
pub struct TreeSettings {
    pub refresh_debounce: Duration,
}

/// What every actor of one tree shares.
pub struct Context {
    prefix: String,
    pub sink: Sink,
    pub status: StatusHandle,
    pub settings: TreeSettings,
    stopping: AtomicBool,
}

impl Context {
    pub const REFRESHER: &'static str = "refresher";

    pub fn new(sink: Sink, status: StatusHandle, settings: TreeSettings) -> Arc<Self> {
        let prefix = format!("materializer-{}", uuid::Uuid::new_v4().simple());
        Arc::new(Context { prefix, sink, status, settings, stopping: AtomicBool::new(false) })
    }

    pub fn stream_component(table: CapturedTable) -> String {
        format!("stream:{}", target(table).0)
    }

    pub fn source_component(label: &str) -> String {
        format!("source:{label}")
    }

    fn actor_name(&self, component: &str) -> String {
        format!("{}/{component}", self.prefix)
    }

    pub fn stream(&self, table: CapturedTable) -> Option<ActorRef<StreamMsg>> {
        ActorRef::where_is(self.actor_name(&Self::stream_component(table)))
    }

    pub fn refresher(&self) -> Option<ActorRef<RefresherMsg>> {
        ActorRef::where_is(self.actor_name(Self::REFRESHER))
    }

    /// From now on child exits are a shutdown, not failures.
    pub fn begin_shutdown(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }
}

/// A supervised child and how to start it again.
#[derive(Debug, Clone)]
pub enum Child {
    Stream(CapturedTable),
    Refresher,
    Replication(ReplicationSettings),
    Kafka(KafkaSettings),
}

impl Child {
    fn component(&self) -> String {
        match self {
            Child::Stream(table) => Context::stream_component(*table),
            Child::Refresher => Context::REFRESHER.to_owned(),
            Child::Replication(settings) => Context::source_component(&settings.name),
            Child::Kafka(_) => Context::source_component("kafka"),
        }
    }
}

/// The tree under the supervisor: children are known by their component name (`stream:fact_orders`,
/// `refresher`, `source:ecom`, …), which is also what the status reports.
pub struct MaterializerTree {
    ctx: Arc<Context>,
    children: BTreeMap<String, Child>,
}

impl MaterializerTree {
    pub fn new(ctx: Arc<Context>, children: Vec<Child>) -> Self {
        Self { ctx, children: children.into_iter().map(|c| (c.component(), c)).collect() }
    }
}

impl Tree for MaterializerTree {
    type Child = String;

    const NAME: &'static str = "materializer";

    fn children(&self) -> Vec<String> {
        // Streams and the refresher first: sources deliver to them.
        let mut order: Vec<&Child> = self.children.values().collect();
        order.sort_by_key(|c| matches!(c, Child::Replication(_) | Child::Kafka(_)));
        order.into_iter().map(Child::component).collect()
    }

    async fn spawn(&self, component: &String, supervisor: ActorCell) -> Result<ActorCell, ActorProcessingErr> {
        let child = self.children.get(component).ok_or_else(|| format!("no component {component}"))?;
        let ctx = &self.ctx;
        let name = Some(ctx.actor_name(component));
        let cell = match child {
            Child::Stream(table) => {
                Actor::spawn_linked(name, StreamActor, (*table, ctx.clone()), supervisor).await?.0.get_cell()
            }
            Child::Refresher => Actor::spawn_linked(name, RefresherActor, ctx.clone(), supervisor).await?.0.get_cell(),
            Child::Replication(settings) => {
                let source = ReplicationSource::new(settings.clone());
                Actor::spawn_linked(name, SourceActor::default(), (source, ctx.clone()), supervisor).await?.0.get_cell()
            }
            Child::Kafka(settings) => {
                let source = KafkaSource::new(settings.clone());
                Actor::spawn_linked(name, SourceActor::default(), (source, ctx.clone()), supervisor).await?.0.get_cell()
            }
        };
        Ok(cell)
    }

    fn exited(&self, component: &String, why: &str) {
        tracing::warn!(%component, reason = %why, "materializer component failed");
        self.ctx.status.failed(component, why);
    }

    fn restarting(&self, component: &String) {
        self.ctx.status.restarted(component);
    }

    fn giving_up(&self, reason: &str) {
        self.ctx.begin_shutdown();
        self.ctx.status.stopped(Some(reason.to_owned()));
    }

    fn stopping(&self) -> bool {
        self.ctx.stopping.load(Ordering::SeqCst)
    }
}
