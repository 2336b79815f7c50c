//! Which Kafka topics carry which captured table, in both directions.
//!
//! Debezium names a table's topic `<topic.prefix>.<schema>.<table>`. The ecom connector captures `books`,
//! `orders` and `order_items`; the inventory connector captures `inventory`. The prefixes are settings
//! (`CDC_ECOM_TOPIC_PREFIX`, `CDC_INVENTORY_TOPIC_PREFIX`), so the map is built from them.

use crate::decode::error::{DecodeError, preview};

/// The PostgreSQL schema every captured table lives in.
const SCHEMA: &str = "public";

/// A source table the materializer consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CapturedTable {
    Books,
    Orders,
    OrderItems,
    Inventory,
}

impl CapturedTable {
    pub const ALL: [CapturedTable; 4] =
        [CapturedTable::Books, CapturedTable::Orders, CapturedTable::OrderItems, CapturedTable::Inventory];

    /// The table's name in its source database.
    pub fn table_name(self) -> &'static str {
        match self {
            CapturedTable::Books => "books",
            CapturedTable::Orders => "orders",
            CapturedTable::OrderItems => "order_items",
            CapturedTable::Inventory => "inventory",
        }
    }

    fn source(self) -> SourceDb {
        match self {
            CapturedTable::Books | CapturedTable::Orders | CapturedTable::OrderItems => SourceDb::Ecom,
            CapturedTable::Inventory => SourceDb::Inventory,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceDb {
    Ecom,
    Inventory,
}

/// Topic prefixes of the two connectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMap {
    ecom_prefix: String,
    inventory_prefix: String,
}

impl Default for TopicMap {
    fn default() -> Self {
        TopicMap::new("ecom-connector", "inventory-connector")
    }
}

impl TopicMap {
    pub fn new(ecom_prefix: impl Into<String>, inventory_prefix: impl Into<String>) -> Self {
        TopicMap { ecom_prefix: ecom_prefix.into(), inventory_prefix: inventory_prefix.into() }
    }

    fn prefix(&self, source: SourceDb) -> &str {
        match source {
            SourceDb::Ecom => &self.ecom_prefix,
            SourceDb::Inventory => &self.inventory_prefix,
        }
    }

    /// The topic a captured table's changes arrive on.
    pub fn topic(&self, table: CapturedTable) -> String {
        format!("{}.{SCHEMA}.{}", self.prefix(table.source()), table.table_name())
    }

    /// Every table topic, to subscribe to.
    pub fn topics(&self) -> Vec<String> {
        CapturedTable::ALL.iter().map(|table| self.topic(*table)).collect()
    }

    /// The captured table a topic carries; any other topic (another prefix, schema or table) is an error.
    pub fn table(&self, topic: &str) -> Result<CapturedTable, DecodeError> {
        CapturedTable::ALL
            .into_iter()
            .find(|table| {
                topic
                    .strip_prefix(self.prefix(table.source()))
                    .and_then(|rest| rest.strip_prefix('.'))
                    .and_then(|rest| rest.strip_prefix(SCHEMA))
                    .and_then(|rest| rest.strip_prefix('.'))
                    == Some(table.table_name())
            })
            .ok_or_else(|| DecodeError::UnknownTopic(preview(topic)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_prefixes_both_ways() {
        let map = TopicMap::default();
        assert_eq!(
            map.topics(),
            [
                "ecom-connector.public.books",
                "ecom-connector.public.orders",
                "ecom-connector.public.order_items",
                "inventory-connector.public.inventory",
            ]
        );
        for table in CapturedTable::ALL {
            assert_eq!(map.table(&map.topic(table)), Ok(table));
        }
        assert_eq!(map.table("ecom-connector.public.order_items"), Ok(CapturedTable::OrderItems));
    }

    #[test]
    fn other_topics_are_errors() {
        let map = TopicMap::default();
        for topic in [
            "",
            "inventory-connector.public.orders",
            "ecom-connector.public.inventory",
            "ecom-connector.public.cart_items",
            "ecom-connector.other.books",
            "ecom-connector.public.books.extra",
            "ecom-connector.transaction",
            "__debezium-heartbeat.ecom-connector",
            "ecom-connectorX.public.books",
        ] {
            assert_eq!(map.table(topic), Err(DecodeError::UnknownTopic(topic.to_owned())), "{topic}");
        }
    }

    #[test]
    fn custom_prefixes() {
        let map = TopicMap::new("shop", "stock.v2");
        assert_eq!(map.topic(CapturedTable::Inventory), "stock.v2.public.inventory");
        assert_eq!(map.table("shop.public.books"), Ok(CapturedTable::Books));
        assert!(map.table("ecom-connector.public.books").is_err());
    }
}
