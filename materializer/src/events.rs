//! Order events for live streams: what the outbox relays (`order.created`, `order.shipped`, `order.delivered`,
//! `order.cancelled`), delivered to subscribers inside the process as they happen.
//!
//! The outbox row is written in the order's transaction and the change log carries it (ADR 016). Where a process
//! reads it from is the adapter, [`OrderEventFeed`], with two forms:
//!
//! - [`InProcessFeed`] (embedded default): the materializer's own replication reader of the ecom database hands
//!   each committed outbox insert to it — no other reader, no broker;
//! - [`KafkaFeed`] (cluster): a consumer of the topic Debezium's outbox event router writes (`outbox.event.order`),
//!   without a consumer group, so that every replica sees every event, from the moment it started.
//!
//! Delivery is at least once (a restarted reader or a resending Debezium repeats events): each event carries the
//! outbox row's id, by which a subscriber recognises one it already has.

use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Headers;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::{ClientConfig, Message as _};
use serde_json::Value;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// How many events a slow subscriber may fall behind before it misses some (it is told, and can reload).
const BACKLOG: usize = 1024;

/// One event of an order's life.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderEvent {
    /// The outbox row's id: the same event delivered twice has the same id.
    pub id: Uuid,
    pub order_id: Uuid,
    /// `order.created`, `order.shipped`, …
    pub event_type: String,
    /// The event as the outbox holds it (`orderId`, `userId`, `status`, …).
    pub payload: Value,
}

impl OrderEvent {
    /// The event in an outbox row, as the replication reader renders a row (column name → JSON value; the
    /// payload column as its JSON text).
    pub fn from_outbox_row(row: &serde_json::Map<String, Value>) -> Option<Self> {
        let text = |name: &str| row.get(name).and_then(Value::as_str);
        let payload = match row.get("payload")? {
            Value::String(json) => serde_json::from_str(json).ok()?,
            other => other.clone(),
        };
        Some(Self {
            id: text("id")?.parse().ok()?,
            order_id: text("aggregate_id")?.parse().ok()?,
            event_type: text("event_type")?.to_owned(),
            payload,
        })
    }

    /// The event in a record of the outbox event router's topic: the key is the order id, the headers carry the
    /// event's `id` and `eventType`, and the value is the event (each through Kafka Connect's JSON converter, so
    /// possibly wrapped with its schema as `{"schema": …, "payload": …}`).
    pub fn from_kafka(key: Option<&[u8]>, headers: &[(&str, &[u8])], value: Option<&[u8]>) -> Option<Self> {
        let header = |name: &str| headers.iter().find(|(k, _)| *k == name).map(|(_, v)| unwrap_json(v));
        let as_text = |value: Value| value.as_str().map(str::to_owned);
        Some(Self {
            id: as_text(header("id")?)?.parse().ok()?,
            order_id: as_text(unwrap_json(key?))?.parse().ok()?,
            event_type: as_text(header("eventType")?)?,
            payload: unwrap_json(value?),
        })
    }
}

/// A JSON converter's output: the value itself, or `{"schema": …, "payload": value}` when schemas are on. Bytes
/// that are not JSON are taken as a string.
fn unwrap_json(bytes: &[u8]) -> Value {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(mut wrapped)) if wrapped.contains_key("schema") && wrapped.contains_key("payload") => {
            wrapped.remove("payload").unwrap_or(Value::Null)
        }
        Ok(value) => value,
        Err(_) => Value::String(String::from_utf8_lossy(bytes).into_owned()),
    }
}

/// Where a process learns of order events. Each subscriber gets every event published after it subscribed.
pub trait OrderEventFeed: Send + Sync {
    fn subscribe(&self) -> broadcast::Receiver<OrderEvent>;
}

/// The embedded default's feed: the in-process replication reader publishes into it.
#[derive(Clone, Debug)]
pub struct InProcessFeed {
    sender: broadcast::Sender<OrderEvent>,
}

impl Default for InProcessFeed {
    fn default() -> Self {
        Self { sender: broadcast::channel(BACKLOG).0 }
    }
}

impl InProcessFeed {
    /// Hands an event to every current subscriber (none listening is fine).
    pub fn publish(&self, event: OrderEvent) {
        let _ = self.sender.send(event);
    }
}

impl OrderEventFeed for InProcessFeed {
    fn subscribe(&self) -> broadcast::Receiver<OrderEvent> {
        self.sender.subscribe()
    }
}

/// The cluster's feed: every partition of the order-event topic, read from its end when the feed starts.
pub struct KafkaFeed {
    sender: broadcast::Sender<OrderEvent>,
    task: JoinHandle<()>,
}

/// Where the cluster's order events are.
#[derive(Clone, Debug)]
pub struct KafkaFeedSettings {
    pub bootstrap_servers: String,
    /// Debezium's outbox event router writes `outbox.event.<aggregate type>`: `outbox.event.order`.
    pub topic: String,
    /// librdkafka properties on top of the feed's own (security settings, timeouts).
    pub properties: Vec<(String, String)>,
}

impl KafkaFeed {
    /// Starts reading; a broker that is away is retried every second, from the partitions' ends again.
    pub fn start(settings: KafkaFeedSettings) -> Self {
        let sender = broadcast::channel(BACKLOG).0;
        let task = tokio::spawn(follow(settings, sender.clone()));
        Self { sender, task }
    }
}

impl Drop for KafkaFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl OrderEventFeed for KafkaFeed {
    fn subscribe(&self) -> broadcast::Receiver<OrderEvent> {
        self.sender.subscribe()
    }
}

async fn follow(settings: KafkaFeedSettings, sender: broadcast::Sender<OrderEvent>) {
    loop {
        if let Err(err) = read(&settings, &sender).await {
            tracing::warn!(error = %err, topic = %settings.topic, "order event feed failed; retrying");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn read(settings: &KafkaFeedSettings, sender: &broadcast::Sender<OrderEvent>) -> anyhow::Result<()> {
    let mut config = ClientConfig::new();
    // A group id is required by librdkafka, but no group is joined and no offset committed: partitions are
    // assigned by hand, every replica reads them all.
    config
        .set("bootstrap.servers", &settings.bootstrap_servers)
        .set("group.id", "bookstore-order-events")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("fetch.wait.max.ms", "100");
    for (key, value) in &settings.properties {
        config.set(key, value);
    }
    let consumer: StreamConsumer = config.create()?;
    let metadata = consumer.fetch_metadata(Some(&settings.topic), Duration::from_secs(10))?;
    let partitions = metadata
        .topics()
        .iter()
        .find(|t| t.name() == settings.topic)
        .map(|t| t.partitions().len())
        .filter(|n| *n > 0)
        .ok_or_else(|| anyhow::anyhow!("topic {} not found", settings.topic))?;
    let mut assignment = TopicPartitionList::new();
    for partition in 0..partitions {
        assignment.add_partition_offset(&settings.topic, i32::try_from(partition)?, Offset::End)?;
    }
    consumer.assign(&assignment)?;
    loop {
        let message = consumer.recv().await?;
        let headers: Vec<(&str, &[u8])> = message
            .headers()
            .map(|h| h.iter().filter_map(|header| Some((header.key, header.value?))).collect())
            .unwrap_or_default();
        match OrderEvent::from_kafka(message.key(), &headers, message.payload()) {
            Some(event) => {
                let _ = sender.send(event);
            }
            None => tracing::warn!(offset = message.offset(), "not an order event; skipped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_outbox_row_as_the_reader_renders_it() {
        let row = json!({
            "id": "01a24a2a-ad11-722d-a7af-018533cae6bf", "aggregate_type": "order",
            "aggregate_id": "01a24a2a-ad0d-700d-946e-a6a34b749d07", "event_type": "order.created",
            "payload": "{\"orderId\": \"01a24a2a-ad0d-700d-946e-a6a34b749d07\", \"total\": \"9.99\"}",
            "created_at": "2026-12-06 08:00:00+00",
        });
        let event = OrderEvent::from_outbox_row(row.as_object().unwrap()).unwrap();
        assert_eq!(event.event_type, "order.created");
        assert_eq!(event.order_id.to_string(), "01a24a2a-ad0d-700d-946e-a6a34b749d07");
        assert_eq!(event.payload["total"], "9.99");
        assert!(OrderEvent::from_outbox_row(json!({"id": "x"}).as_object().unwrap()).is_none());
    }

    #[test]
    fn a_record_of_the_outbox_event_router() {
        // As the local cluster's Debezium writes it: key and value with their schemas, headers as JSON strings.
        let key = br#"{"schema":{"type":"string","optional":false,"name":"io.debezium.data.Uuid","version":1},"payload":"01a24a2a-ad0d-700d-946e-a6a34b749d07"}"#;
        let value = br#"{"schema":{"type":"struct","fields":[]},"payload":{"orderId":"01a24a2a-ad0d-700d-946e-a6a34b749d07","total":"179.97"}}"#;
        let headers: [(&str, &[u8]); 3] = [
            ("__debezium.context.taskId", b"\"0\""),
            ("id", b"\"01a24a2a-ad11-722d-a7af-018533cae6bf\""),
            ("eventType", b"\"order.created\""),
        ];
        let event = OrderEvent::from_kafka(Some(key), &headers, Some(value)).unwrap();
        assert_eq!(event.id.to_string(), "01a24a2a-ad11-722d-a7af-018533cae6bf");
        assert_eq!(event.event_type, "order.created");
        assert_eq!(event.payload, json!({"orderId": "01a24a2a-ad0d-700d-946e-a6a34b749d07", "total": "179.97"}));
        // Schemaless JSON and plain-string headers decode the same.
        let plain: [(&str, &[u8]); 2] =
            [("id", b"01a24a2a-ad11-722d-a7af-018533cae6bf"), ("eventType", b"order.created")];
        let event =
            OrderEvent::from_kafka(Some(b"\"01a24a2a-ad0d-700d-946e-a6a34b749d07\""), &plain, Some(b"{}")).unwrap();
        assert_eq!(event.event_type, "order.created");
        assert!(OrderEvent::from_kafka(None, &plain, Some(b"{}")).is_none());
    }
}
