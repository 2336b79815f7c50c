//! The materializer's actor tree (ractor): a supervisor over one stream actor per analytics table, the view
//! refresher, and one source actor per CDC source.
//!
//! ractor's default supervisor stops when a child dies and has no restart strategy, so this one is written here:
//! a failed child is restarted after an exponential backoff, and more than `max_restarts` failures of one child
//! within `window` make the supervisor give up loudly (it stops, and [`crate::Materializer::wait`] returns the
//! reason). Actor names are global in ractor, so every name carries the tree's unique prefix.

pub mod refresher;
pub mod source;
pub mod stream;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, SupervisionEvent};

use crate::sink::{Sink, target};
use crate::sources::kafka::{KafkaSettings, KafkaSource};
use crate::sources::replication::{ReplicationSettings, ReplicationSource};
use crate::sources::topic::CapturedTable;
use crate::status::StatusHandle;
use refresher::{RefresherActor, RefresherMsg};
use source::SourceActor;
use stream::{StreamActor, StreamMsg};

/// When and how often a failed child is restarted.
#[derive(Debug, Clone)]
pub struct RestartPolicy {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// More failures than this within `window` and the supervisor gives up.
    pub max_restarts: usize,
    pub window: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_restarts: 10,
            window: Duration::from_secs(60),
        }
    }
}

impl RestartPolicy {
    fn backoff(&self, recent_failures: usize) -> Duration {
        let factor = 1u32 << recent_failures.saturating_sub(1).min(16);
        self.initial_backoff.saturating_mul(factor).min(self.max_backoff)
    }
}

/// Tunables of a running tree.
#[derive(Debug, Clone)]
pub struct TreeSettings {
    pub refresh_debounce: Duration,
    pub restart: RestartPolicy,
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

    fn component_of(&self, cell: &ActorCell) -> Option<String> {
        cell.get_name()?.strip_prefix(&format!("{}/", self.prefix)).map(str::to_owned)
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

pub enum SupervisorMsg {
    Restart(String),
}

pub struct Supervisor;

pub struct SupervisorState {
    ctx: Arc<Context>,
    children: BTreeMap<String, Child>,
    failures: HashMap<String, VecDeque<Instant>>,
}

async fn spawn_child(ctx: &Arc<Context>, child: &Child, supervisor: ActorCell) -> Result<(), ActorProcessingErr> {
    let name = Some(ctx.actor_name(&child.component()));
    match child {
        Child::Stream(table) => {
            Actor::spawn_linked(name, StreamActor, (*table, ctx.clone()), supervisor).await?;
        }
        Child::Refresher => {
            Actor::spawn_linked(name, RefresherActor, ctx.clone(), supervisor).await?;
        }
        Child::Replication(settings) => {
            let source = ReplicationSource::new(settings.clone());
            Actor::spawn_linked(name, SourceActor::default(), (source, ctx.clone()), supervisor).await?;
        }
        Child::Kafka(settings) => {
            let source = KafkaSource::new(settings.clone());
            Actor::spawn_linked(name, SourceActor::default(), (source, ctx.clone()), supervisor).await?;
        }
    }
    Ok(())
}

impl Supervisor {
    /// Records a failure of `component` and schedules its restart, or gives up.
    fn on_failure(
        &self,
        myself: &ActorRef<SupervisorMsg>,
        state: &mut SupervisorState,
        component: String,
        why: String,
    ) {
        if state.ctx.stopping.load(Ordering::SeqCst) || !state.children.contains_key(&component) {
            return;
        }
        tracing::warn!(%component, reason = %why, "materializer component failed");
        state.ctx.status.failed(&component, &why);
        let policy = &state.ctx.settings.restart;
        let now = Instant::now();
        let history = state.failures.entry(component.clone()).or_default();
        history.push_back(now);
        while history.front().is_some_and(|t| now.duration_since(*t) > policy.window) {
            history.pop_front();
        }
        if history.len() > policy.max_restarts {
            let reason =
                format!("{component} failed {} times within {:?}; giving up: {why}", history.len(), policy.window);
            tracing::error!("{reason}");
            state.ctx.begin_shutdown();
            state.ctx.status.stopped(Some(reason.clone()));
            myself.stop(Some(reason));
            return;
        }
        let backoff = policy.backoff(history.len());
        metrics::counter!("materializer_restarts_total", "component" => component.clone()).increment(1);
        myself.send_after(backoff, move || SupervisorMsg::Restart(component));
    }
}

impl Actor for Supervisor {
    type Msg = SupervisorMsg;
    type State = SupervisorState;
    type Arguments = (Arc<Context>, Vec<Child>);

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        (ctx, children): Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        let children: BTreeMap<String, Child> = children.into_iter().map(|c| (c.component(), c)).collect();
        let mut state = SupervisorState { ctx, children, failures: HashMap::new() };
        // Streams and the refresher first: sources deliver to them.
        let mut order: Vec<Child> = state.children.values().cloned().collect();
        order.sort_by_key(|c| matches!(c, Child::Replication(_) | Child::Kafka(_)));
        for child in order {
            if let Err(err) = spawn_child(&state.ctx, &child, myself.get_cell()).await {
                self.on_failure(&myself, &mut state, child.component(), err.to_string());
            }
        }
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        SupervisorMsg::Restart(component): Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let Some(child) = state.children.get(&component).cloned() else { return Ok(()) };
        if state.ctx.stopping.load(Ordering::SeqCst) {
            return Ok(());
        }
        state.ctx.status.restarted(&component);
        tracing::info!(%component, "restarting materializer component");
        if let Err(err) = spawn_child(&state.ctx, &child, myself.get_cell()).await {
            self.on_failure(&myself, state, component, err.to_string());
        }
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
        if let Some(component) = state.ctx.component_of(&cell) {
            self.on_failure(&myself, state, component, why);
        }
        Ok(())
    }
}
