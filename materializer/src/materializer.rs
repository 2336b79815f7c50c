//! The entry points the `bookstore` binary calls: start the actor tree for a configured source, watch it, and shut
//! it down within a deadline.

use std::future::Future;
use std::time::Duration;

use anyhow::{Context as _, bail};
use ractor::{Actor, ActorRef};
use tokio::task::JoinHandle;

use bookstore_actors::supervision::{Supervisor, SupervisorMsg};

use crate::actors::{Child, Context, MaterializerTree, RestartPolicy, TreeSettings};
use crate::events::InProcessFeed;
use crate::sink::Sink;
use crate::sources::kafka::KafkaSettings;
use crate::sources::replication::ReplicationSettings;
use crate::sources::topic::{CapturedTable, TopicMap};
use crate::status::StatusHandle;

/// Where the change events come from.
#[derive(Debug, Clone)]
pub enum SourceConfig {
    /// The in-process logical-replication reader on both source databases.
    Embedded {
        ecom_url: String,
        inventory_url: String,
        /// Replication slot names are `<slot_prefix>_ecom` and `<slot_prefix>_inventory`.
        slot_prefix: String,
    },
    /// Debezium topics in Kafka (`<prefix>.public.<table>`), read as a member of `group`.
    Kafka {
        bootstrap_servers: String,
        ecom_prefix: String,
        inventory_prefix: String,
        group: String,
        /// librdkafka properties of the consumer on top of the materializer's own (security, timeouts).
        properties: Vec<(String, String)>,
    },
}

impl SourceConfig {
    /// The embedded source with the default slot names (`bookstore_materializer_{ecom,inventory}`).
    pub fn embedded(ecom_url: impl Into<String>, inventory_url: impl Into<String>) -> Self {
        SourceConfig::Embedded {
            ecom_url: ecom_url.into(),
            inventory_url: inventory_url.into(),
            slot_prefix: "bookstore_materializer".to_owned(),
        }
    }
}

/// How long a source keeps collecting after the first change of a batch, unless configured otherwise.
pub const DEFAULT_BATCH_LINGER: Duration = Duration::from_millis(100);

#[derive(Debug, Clone)]
pub struct MaterializerConfig {
    pub analytics_url: String,
    pub source: SourceConfig,
    /// Quiet time before the views are refreshed after a change.
    pub refresh_debounce: Duration,
    /// How long a source keeps collecting after the first change of a batch: each batch is one analytics
    /// transaction per table and one summary update per view row it touches, so a longer linger costs freshness
    /// and saves work under load.
    pub batch_linger: Duration,
    pub restart: RestartPolicy,
    /// How long a graceful shutdown may take before the tree is killed.
    pub shutdown_deadline: Duration,
    /// Where the embedded source hands the order events it reads (the outbox's inserts), if anywhere.
    pub order_events: Option<InProcessFeed>,
}

impl MaterializerConfig {
    pub fn new(analytics_url: impl Into<String>, source: SourceConfig) -> Self {
        MaterializerConfig {
            analytics_url: analytics_url.into(),
            source,
            refresh_debounce: Duration::from_millis(250),
            batch_linger: DEFAULT_BATCH_LINGER,
            restart: crate::actors::default_restart_policy(),
            shutdown_deadline: Duration::from_secs(10),
            order_events: None,
        }
    }

    fn children(&self) -> Vec<Child> {
        let mut children: Vec<Child> = CapturedTable::ALL.into_iter().map(Child::Stream).collect();
        children.push(Child::Refresher);
        match &self.source {
            SourceConfig::Embedded { ecom_url, inventory_url, slot_prefix } => {
                let ecom = ReplicationSettings {
                    order_events: self.order_events.clone(),
                    ..ReplicationSettings::ecom(ecom_url, format!("{slot_prefix}_ecom"))
                };
                let inventory = ReplicationSettings::inventory(inventory_url, format!("{slot_prefix}_inventory"));
                for settings in [ecom, inventory] {
                    children.push(Child::Replication(ReplicationSettings { linger: self.batch_linger, ..settings }));
                }
            }
            SourceConfig::Kafka { bootstrap_servers, ecom_prefix, inventory_prefix, group, properties } => {
                let topics = TopicMap::new(ecom_prefix, inventory_prefix);
                let settings = KafkaSettings::new(bootstrap_servers, group, topics);
                children.push(Child::Kafka(KafkaSettings {
                    linger: self.batch_linger,
                    properties: properties.clone(),
                    ..settings
                }));
            }
        }
        children
    }
}

/// A running materializer.
pub struct Materializer {
    supervisor: ActorRef<SupervisorMsg<String>>,
    join: JoinHandle<()>,
    ctx: std::sync::Arc<Context>,
    deadline: Duration,
}

impl Materializer {
    /// Connects to analytics and starts the actor tree; sources connect (and retry) in the background.
    pub async fn start(config: MaterializerConfig) -> anyhow::Result<Self> {
        let pool = crate::pg::options(8)
            .connect(&config.analytics_url)
            .await
            .context("connecting to the analytics database")?;
        if crate::sink::views::summaries_stale(&pool).await.context("reading the summaries' status")? {
            tracing::warn!("a bulk load left the analytics summaries stale; rebuilding them from the facts");
            crate::sink::views::rebuild_views(&pool).await.context("rebuilding the analytics summaries")?;
        }
        let settings = TreeSettings { refresh_debounce: config.refresh_debounce };
        let ctx = Context::new(Sink::new(pool), StatusHandle::default(), settings);
        let tree = std::sync::Arc::new(MaterializerTree::new(ctx.clone(), config.children()));
        let (supervisor, join) =
            Actor::spawn(None, Supervisor::<MaterializerTree>::default(), (tree, config.restart)).await?;
        Ok(Materializer { supervisor, join, ctx, deadline: config.shutdown_deadline })
    }

    /// The live status, for `/readyz`.
    pub fn status(&self) -> StatusHandle {
        self.ctx.status.clone()
    }

    /// Waits until the tree stops by itself, which only happens when the supervisor gave up.
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.join).await?;
        match self.ctx.status.snapshot().gave_up {
            Some(reason) => bail!("materializer gave up: {reason}"),
            None => Ok(()),
        }
    }

    /// Stops the tree: children first, then the supervisor; whatever is still running at the deadline is killed.
    /// A batch in flight either commits or rolls back, and the next start resumes from the stored positions.
    pub async fn shutdown(self) {
        self.ctx.begin_shutdown();
        let deadline = self.deadline;
        let graceful = async {
            self.supervisor.stop_children_and_wait(Some("shutdown".to_owned()), Some(deadline)).await;
            self.supervisor.stop(Some("shutdown".to_owned()));
        };
        if tokio::time::timeout(deadline, graceful).await.is_err() {
            tracing::warn!("materializer did not stop within {deadline:?}; killing it");
            kill_tree(&self.supervisor);
        }
        let _ = tokio::time::timeout(deadline, self.join).await;
        self.ctx.status.stopped(None);
    }

    /// Kills the tree at once, mid-batch, as a crash would (fault-injection tests).
    pub async fn kill(self) {
        self.ctx.begin_shutdown();
        kill_tree(&self.supervisor);
        let _ = self.join.await;
        self.ctx.status.stopped(None);
    }
}

fn kill_tree(supervisor: &ActorRef<SupervisorMsg<String>>) {
    for child in supervisor.get_children() {
        child.kill();
    }
    supervisor.kill();
}

/// Runs the materializer until `shutdown` completes (graceful stop within the configured deadline) or the
/// supervisor gives up (an error).
pub async fn run(config: MaterializerConfig, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let mut materializer = Materializer::start(config).await?;
    tokio::select! {
        result = materializer.wait() => return result,
        () = shutdown => {}
    }
    materializer.shutdown().await;
    Ok(())
}
