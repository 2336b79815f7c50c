//! The analytics materializer: decodes Debezium change events (from Kafka or from the embedded logical-replication
//! reader), applies them to the analytics star schema exactly once in effect, and refreshes the materialized views.
//!
//! It replaces upstream's Flink SQL jobs. The code arrives with the CDC issue.
