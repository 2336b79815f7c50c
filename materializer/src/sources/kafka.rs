//! The cluster source: Debezium Server's topics in Kafka, read by a member of a consumer group.
//!
//! The group only spreads partitions over replicas. Where to read from is the analytics database's business: when
//! partitions are assigned, the rebalance callback assigns them at the offsets stored in `materializer_offsets`
//! (loaded at start and kept current as batches commit), never at the group's committed offsets. Offsets are still
//! committed to the group after the analytics commit, for lag monitoring with the usual Kafka tools.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, StreamConsumer};
use rdkafka::error::KafkaResult;
use rdkafka::topic_partition_list::{Offset as KafkaOffset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientConfig, ClientContext, Message as _};
use tokio::time::{Instant, timeout};

use super::{ChangeSource, Polled, RawRecord, route};
use crate::decode::envelope::ChangeEvent;
use crate::sink::{Offset, Sink};
use crate::sources::topic::{CapturedTable, TopicMap};

/// How to reach Kafka and which topics to read.
#[derive(Debug, Clone)]
pub struct KafkaSettings {
    pub bootstrap_servers: String,
    pub group_id: String,
    pub topics: TopicMap,
    pub max_batch: usize,
    /// How long to keep collecting after the first message of a batch.
    pub linger: Duration,
    /// Extra librdkafka properties (security settings, timeouts).
    pub properties: Vec<(String, String)>,
}

impl KafkaSettings {
    pub fn new(bootstrap_servers: impl Into<String>, group_id: impl Into<String>, topics: TopicMap) -> Self {
        KafkaSettings {
            bootstrap_servers: bootstrap_servers.into(),
            group_id: group_id.into(),
            topics,
            max_batch: 5000,
            linger: crate::materializer::DEFAULT_BATCH_LINGER,
            properties: Vec::new(),
        }
    }
}

/// Next offset to read per topic partition, as stored in analytics.
type Positions = Arc<Mutex<HashMap<(String, i32), i64>>>;

/// Assigns partitions at the stored positions (eager rebalancing: the whole assignment at once).
struct AssignAtStored {
    positions: Positions,
}

impl ClientContext for AssignAtStored {}

impl ConsumerContext for AssignAtStored {
    fn rebalance(&self, consumer: &BaseConsumer<Self>, err: RDKafkaRespErr, tpl: &mut TopicPartitionList) {
        let result = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let positions = self.positions.lock().unwrap_or_else(|p| p.into_inner()).clone();
                let assigned: Vec<(String, i32)> =
                    tpl.elements().iter().map(|e| (e.topic().to_owned(), e.partition())).collect();
                for key in assigned {
                    let offset = positions.get(&key).map_or(KafkaOffset::Beginning, |o| KafkaOffset::Offset(*o));
                    tracing::info!(topic = %key.0, partition = key.1, ?offset, "partition assigned");
                    let _ = tpl.set_partition_offset(&key.0, key.1, offset);
                }
                consumer.assign(tpl)
            }
            _ => consumer.unassign(),
        };
        if let Err(err) = result {
            tracing::error!(error = %err, "rebalance failed");
        }
    }
}

pub struct KafkaSource {
    settings: KafkaSettings,
    consumer: Option<StreamConsumer<AssignAtStored>>,
    positions: Positions,
}

impl KafkaSource {
    pub fn new(settings: KafkaSettings) -> Self {
        KafkaSource { settings, consumer: None, positions: Arc::default() }
    }

    fn create_consumer(&self) -> KafkaResult<StreamConsumer<AssignAtStored>> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.settings.bootstrap_servers)
            .set("group.id", &self.settings.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("partition.assignment.strategy", "range,roundrobin")
            .set("session.timeout.ms", "6000")
            // How long a fetch may wait at the broker for records. Kafka answers as soon as records arrive; a
            // broker that does not (tansu holds a fetch for its whole wait) adds up to this much to every change's
            // way into analytics: at librdkafka's 500 ms default the local cluster's freshness p99 was 0.8 s, at
            // 100 ms 0.37 s (bench/README.md).
            .set("fetch.wait.max.ms", "100");
        for (key, value) in &self.settings.properties {
            config.set(key, value);
        }
        config.create_with_context(AssignAtStored { positions: self.positions.clone() })
    }
}

impl ChangeSource for KafkaSource {
    /// Next offsets per topic partition reached by the batch.
    type Ack = HashMap<(String, i32), i64>;

    fn label(&self) -> String {
        "kafka".to_owned()
    }

    fn tables(&self) -> Vec<CapturedTable> {
        CapturedTable::ALL.to_vec()
    }

    async fn start(&mut self, sink: &Sink) -> anyhow::Result<()> {
        // Leave the group before joining again, so the new member gets the partitions at once.
        if let Some(old) = self.consumer.take() {
            old.unsubscribe();
        }
        let topics = self.settings.topics.topics();
        let stored = sink.offsets(&topics).await?;
        *self.positions.lock().unwrap_or_else(|p| p.into_inner()) = stored;
        let consumer = self.create_consumer()?;
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        consumer.subscribe(&names)?;
        self.consumer = Some(consumer);
        Ok(())
    }

    async fn poll(&mut self, paused: &BTreeSet<CapturedTable>) -> anyhow::Result<Polled<Self::Ack>> {
        let consumer = self.consumer.as_ref().ok_or_else(|| anyhow::anyhow!("kafka source not started"))?;
        let mut polled: Polled<Self::Ack> = Polled::default();
        let mut ack = HashMap::new();
        let mut count = 0usize;
        let mut until = Instant::now() + Duration::from_millis(200);
        while count < self.settings.max_batch {
            let message = match timeout(until.saturating_duration_since(Instant::now()), consumer.recv()).await {
                Err(_) => break,
                Ok(message) => message?,
            };
            if count == 0 {
                until = Instant::now() + self.settings.linger;
            }
            count += 1;
            let (topic, partition, offset) = (message.topic().to_owned(), message.partition(), message.offset());
            let Ok(table) = self.settings.topics.table(&topic) else { continue };
            if paused.contains(&table) {
                continue;
            }
            let raw = || RawRecord {
                source: topic.clone(),
                position: format!("{topic}/{partition}/{offset}"),
                key: message.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                payload: message.payload().map(|p| String::from_utf8_lossy(p).into_owned()),
            };
            let event = ChangeEvent::from_kafka(&topic, message.key(), message.payload());
            let batch = polled.tables.entry(table).or_default();
            route(batch, table, event, raw);
            batch.offsets.push(Offset { source: topic.clone(), partition, position: offset + 1 });
            let next = ack.entry((topic, partition)).or_insert(offset + 1);
            *next = (*next).max(offset + 1);
        }
        if !ack.is_empty() {
            polled.ack = Some(ack);
        }
        Ok(polled)
    }

    async fn committed(&mut self, ack: Self::Ack, paused: &BTreeSet<CapturedTable>) -> anyhow::Result<()> {
        let mut tpl = TopicPartitionList::new();
        {
            let mut positions = self.positions.lock().unwrap_or_else(|p| p.into_inner());
            for ((topic, partition), next) in ack {
                if self.settings.topics.table(&topic).is_ok_and(|table| paused.contains(&table)) {
                    continue;
                }
                tpl.add_partition_offset(&topic, partition, KafkaOffset::Offset(next))?;
                positions.insert((topic, partition), next);
            }
        }
        if let Some(consumer) = &self.consumer
            && tpl.count() > 0
            && let Err(err) = consumer.commit(&tpl, CommitMode::Async)
        {
            tracing::debug!(error = %err, "group offset commit (monitoring only) failed");
        }
        Ok(())
    }

    async fn rewind(&mut self, _table: CapturedTable, sink: &Sink) -> anyhow::Result<()> {
        self.start(sink).await
    }
}
