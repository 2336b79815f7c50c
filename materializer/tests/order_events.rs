//! Both forms of the order-event feed against real engines: the embedded replication reader hands the outbox's
//! committed inserts to the in-process feed (and nothing of a rolled-back one), and the Kafka feed reads the outbox
//! event router's topic from where it started, records shaped as Debezium writes them.

mod common;

use std::time::Duration;

use bookstore_materializer::events::{InProcessFeed, KafkaFeed, KafkaFeedSettings, OrderEvent, OrderEventFeed};
use bookstore_materializer::{Materializer, MaterializerConfig, SourceConfig};
use common::tansu::Tansu;
use common::*;
use rdkafka::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::sync::broadcast::Receiver;
use tokio::time::timeout;
use uuid::Uuid;

async fn next(events: &mut Receiver<OrderEvent>, within: Duration) -> Option<OrderEvent> {
    timeout(within, events.recv()).await.ok().and_then(Result::ok)
}

fn outbox_insert(event_id: Uuid, order_id: Uuid, event_type: &str) -> String {
    format!(
        "INSERT INTO outbox (id, aggregate_type, aggregate_id, event_type, payload) \
         VALUES ('{event_id}', 'order', '{order_id}', '{event_type}', '{{\"orderId\": \"{order_id}\", \"status\": \"SHIPPED\"}}')"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_reader_hands_committed_outbox_inserts_to_the_in_process_feed() {
    let dbs = test_dbs().await;
    let (ecom, analytics) = (pool(&dbs.ecom).await, pool(&dbs.analytics).await);
    let feed = InProcessFeed::default();
    let mut events = feed.subscribe();
    let source = SourceConfig::Embedded {
        ecom_url: dbs.ecom.clone(),
        inventory_url: dbs.inventory.clone(),
        slot_prefix: dbs.slot_prefix.clone(),
    };
    let config =
        MaterializerConfig { order_events: Some(feed.clone()), ..MaterializerConfig::new(&dbs.analytics, source) };
    let materializer = Materializer::start(config).await.unwrap();
    let streaming = eventually(Duration::from_secs(30), || async {
        scalar_i64(&analytics, "SELECT count(*) FROM dim_books").await == 10
    })
    .await;
    assert!(streaming, "the reader reached its stream");

    let (rolled_back, committed, order) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    exec(&ecom, &format!("BEGIN; {}; ROLLBACK", outbox_insert(rolled_back, order, "order.shipped"))).await;
    exec(&ecom, &outbox_insert(committed, order, "order.shipped")).await;
    let event = next(&mut events, Duration::from_secs(30)).await.expect("the committed event arrives");
    assert_eq!((event.id, event.order_id, event.event_type.as_str()), (committed, order, "order.shipped"));
    assert_eq!(event.payload["status"], "SHIPPED");
    assert_eq!(scalar_i64(&ecom, "SELECT count(*) FROM outbox").await, 0, "the row itself is gone");
    assert!(next(&mut events, Duration::from_secs(2)).await.is_none(), "nothing of the rolled-back insert");

    materializer.shutdown().await;
    dbs.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kafka_feed_reads_the_router_topic_from_where_it_started() {
    const TOPIC: &str = "outbox.event.order";
    let broker = Tansu::start(1);
    broker.create_topic(TOPIC, 3);
    let producer: FutureProducer = ClientConfig::new().set("bootstrap.servers", &broker.bootstrap).create().unwrap();
    // What Debezium's outbox event router writes through Kafka Connect's JSON converter (schemas on, as deployed).
    let send = |event_id: Uuid, order_id: Uuid| {
        let producer = producer.clone();
        async move {
            let key =
                format!(r#"{{"schema":{{"type":"string","name":"io.debezium.data.Uuid"}},"payload":"{order_id}"}}"#);
            let value = format!(r#"{{"schema":{{"type":"struct","fields":[]}},"payload":{{"orderId":"{order_id}"}}}}"#);
            let (id, kind) = (format!("\"{event_id}\""), "\"order.created\"".to_owned());
            let headers = OwnedHeaders::new()
                .insert(Header { key: "id", value: Some(&id) })
                .insert(Header { key: "eventType", value: Some(&kind) });
            producer
                .send(FutureRecord::to(TOPIC).key(&key).payload(&value).headers(headers), Duration::from_secs(10))
                .await
                .map_err(|(err, _)| err)
                .unwrap();
        }
    };
    let before = Uuid::now_v7();
    send(before, Uuid::now_v7()).await;

    let feed = KafkaFeed::start(KafkaFeedSettings {
        bootstrap_servers: broker.bootstrap.clone(),
        topic: TOPIC.to_owned(),
        properties: Vec::new(),
    });
    let mut events = feed.subscribe();
    // The feed starts at the partitions' ends once it has them: send until one arrives.
    let mut sent = Vec::new();
    let mut received = None;
    for _ in 0..60 {
        let (event_id, order_id) = (Uuid::now_v7(), Uuid::now_v7());
        send(event_id, order_id).await;
        sent.push((event_id, order_id));
        if let Some(event) = next(&mut events, Duration::from_millis(500)).await {
            received = Some(event);
            break;
        }
    }
    let event = received.unwrap_or_else(|| panic!("no event from the feed; broker log: {}", broker.log()));
    assert_ne!(event.id, before, "an event from before the feed started is not delivered");
    assert!(sent.contains(&(event.id, event.order_id)), "{event:?}");
    assert_eq!(event.event_type, "order.created");
    assert_eq!(event.payload["orderId"], event.order_id.to_string());
}
