//! The embedded CDC source: an in-process logical-replication reader (pgoutput, ADR 004) on one source database,
//! the analogue of Debezium's embedded engine.
//!
//! On start it compares the replication slot with the offsets stored in analytics. A missing slot, or a table
//! without a stored offset (a snapshot that never committed), means a fresh start: the slot is (re)created with an
//! exported snapshot, every captured table is read inside that snapshot as `r` events, and the first batch resets
//! the tables. Otherwise streaming resumes at the slot's confirmed position and each table skips transactions at
//! or below its stored LSN. Only whole transactions are batched, and the slot is confirmed only up to the lowest
//! LSN every table has committed in analytics.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use anyhow::{Context as _, bail};
use bookstore_entities::repo::snapshot;
use pgwire_replication::{Lsn, ReplicationClient, ReplicationConfig, ReplicationEvent};
use sea_orm::sqlx::{self, PgPool, Row as _};
use tokio::time::{Instant, timeout};

use super::pgoutput::{self, Datum, Message, Origin, Relations};
use super::{ChangeSource, Polled, RawRecord, route};
use crate::decode::envelope::{ChangeEvent, Op};
use crate::events::{InProcessFeed, OrderEvent};
use crate::sink::{Offset, Sink, TableBatch};
use crate::sources::topic::CapturedTable;

/// The publication the migrations create in both source databases.
pub const PUBLICATION: &str = "bookstore_cdc";
/// The ecom table whose inserts are order events (published, never materialized).
const OUTBOX: &str = "outbox";

/// One source database to read.
#[derive(Debug, Clone)]
pub struct ReplicationSettings {
    /// `ecom` or `inventory`: names offsets, metrics and actors.
    pub name: String,
    pub url: String,
    pub slot: String,
    pub tables: Vec<CapturedTable>,
    /// Most events in one batch (whole transactions are never split, so a batch may exceed it by one).
    pub max_batch: usize,
    /// How long to keep collecting after the first transaction of a batch.
    pub linger: Duration,
    /// Where the outbox's committed inserts go (ecom only), for the API's live streams.
    pub order_events: Option<InProcessFeed>,
}

impl ReplicationSettings {
    /// The ecom database (`books`, `orders`, `order_items`).
    pub fn ecom(url: impl Into<String>, slot: impl Into<String>) -> Self {
        Self::new("ecom", url, slot, vec![CapturedTable::Books, CapturedTable::Orders, CapturedTable::OrderItems])
    }

    /// The inventory database (`inventory`).
    pub fn inventory(url: impl Into<String>, slot: impl Into<String>) -> Self {
        Self::new("inventory", url, slot, vec![CapturedTable::Inventory])
    }

    fn new(name: &str, url: impl Into<String>, slot: impl Into<String>, tables: Vec<CapturedTable>) -> Self {
        ReplicationSettings {
            name: name.to_owned(),
            url: url.into(),
            slot: slot.into(),
            tables,
            max_batch: 5000,
            linger: crate::materializer::DEFAULT_BATCH_LINGER,
            order_events: None,
        }
    }

    /// The `materializer_offsets.source` of one table.
    pub fn offset_source(&self, table: CapturedTable) -> String {
        format!("replication:{}:{}", self.slot, table.table_name())
    }
}

/// One change of an open transaction: its table, LSN, the decoded event and, for one that could not be decoded,
/// its envelope as text (for `cdc_parse_errors`).
type PendingChange = (CapturedTable, u64, Result<ChangeEvent, crate::decode::error::DecodeError>, Option<String>);

/// A transaction being received.
struct OpenTx {
    xid: u32,
    commit_ms: i64,
    events: Vec<PendingChange>,
    /// Its outbox inserts, handed on when it commits.
    order_events: Vec<OrderEvent>,
}

pub struct ReplicationSource {
    settings: ReplicationSettings,
    pool: Option<PgPool>,
    client: Option<ReplicationClient>,
    relations: Relations,
    snapshot: Option<Polled<u64>>,
    /// Per table: transactions ending at or below this LSN were already applied.
    skip_until: HashMap<CapturedTable, u64>,
    /// Per table: the LSN up to which analytics has everything.
    acked: HashMap<CapturedTable, u64>,
    last_commit: u64,
    open: Option<OpenTx>,
}

impl ReplicationSource {
    pub fn new(settings: ReplicationSettings) -> Self {
        ReplicationSource {
            settings,
            pool: None,
            client: None,
            relations: Relations::default(),
            snapshot: None,
            skip_until: HashMap::new(),
            acked: HashMap::new(),
            last_commit: 0,
            open: None,
        }
    }

    fn replication_config(&self) -> anyhow::Result<ReplicationConfig> {
        let url = url::Url::parse(&self.settings.url).context("source database URL")?;
        let database = url.path().trim_start_matches('/');
        let user = if url.username().is_empty() { "postgres" } else { url.username() };
        let password = url.password().unwrap_or_default();
        Ok(ReplicationConfig::new(
            url.host_str().unwrap_or("127.0.0.1"),
            user,
            password,
            database,
            &self.settings.slot,
            PUBLICATION,
        )
        .with_port(url.port().unwrap_or(5432))
        .with_options("-c TimeZone=UTC -c DateStyle=ISO")
        .with_status_interval(Duration::from_millis(500))
        .with_application_name(format!("bookstore-materializer-{}", self.settings.name)))
    }

    fn stop_client(&mut self) {
        if let Some(mut client) = self.client.take() {
            client.abort();
        }
    }

    /// Reads every captured table inside the exported snapshot as `r` events; the batch resets the tables.
    async fn read_snapshot(&mut self, pool: &PgPool, snapshot: &str, at: u64) -> anyhow::Result<Polled<u64>> {
        let mut tx = pool.begin().await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '{snapshot}'; \
             SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO'"
        )))
        .execute(&mut *tx)
        .await?;
        let mut polled = Polled { tables: BTreeMap::new(), ack: Some(at) };
        for table in self.settings.tables.clone() {
            let read = snapshot::read_as_text(&mut tx, table.table_name()).await?;
            let columns: Vec<pgoutput::RelationColumn> = read
                .columns
                .into_iter()
                .map(|c| pgoutput::RelationColumn { name: c.name, type_oid: c.type_oid })
                .collect();
            let origin = Origin {
                connector_name: &self.settings.name,
                db: &self.settings.name,
                schema: "public",
                table: table.table_name(),
                tx_id: None,
                lsn: at,
                last_commit_lsn: 0,
                commit_ms: chrono::Utc::now().timestamp_millis(),
                snapshot: true,
            };
            let batch = polled.tables.entry(table).or_insert_with(|| TableBatch { reset: true, ..Default::default() });
            for row in read.rows {
                let datums: Vec<Datum> = row.into_iter().map(|v| v.map_or(Datum::Null, Datum::Text)).collect();
                let value = pgoutput::envelope("r", &origin, None, Some(pgoutput::row_json(&columns, &datums)));
                let raw = RawRecord::new(&self.settings.name, format!("snapshot@{at}"), None, &value);
                route(batch, table, ChangeEvent::from_json(&self.topic(table), None, Some(value)), || raw);
            }
            batch.offsets.push(Offset {
                source: self.settings.offset_source(table),
                partition: 0,
                position: lsn_i64(at),
            });
        }
        tx.commit().await?;
        Ok(polled)
    }

    fn topic(&self, table: CapturedTable) -> String {
        format!("embedded.{}.public.{}", self.settings.name, table.table_name())
    }

    /// Turns one pgoutput message into an event of the open transaction.
    fn on_message(&mut self, data: &[u8], lsn: u64) -> anyhow::Result<()> {
        let message = pgoutput::decode(data).map_err(|err| anyhow::anyhow!("pgoutput at {lsn}: {err}"))?;
        let (relation_id, op, old, new) = match message {
            Message::Relation(relation) => {
                self.relations.insert(relation);
                return Ok(());
            }
            Message::Insert { relation, new } => (relation, Op::Create, None, Some(new)),
            Message::Update { relation, old, new } => (relation, Op::Update, old, Some(new)),
            Message::Delete { relation, old } => (relation, Op::Delete, Some(old), None),
            Message::Truncate { relations } => {
                for relation in relations {
                    self.push_event(relation, Op::Truncate, None, None, lsn)?;
                }
                return Ok(());
            }
            Message::Other(_) => return Ok(()),
        };
        self.push_event(relation_id, op, old, new, lsn)
    }

    fn push_event(
        &mut self,
        relation_id: u32,
        op: Op,
        old: Option<Vec<Datum>>,
        new: Option<Vec<Datum>>,
        lsn: u64,
    ) -> anyhow::Result<()> {
        let relation = self.relations.get(relation_id).with_context(|| format!("unknown relation {relation_id}"))?;
        if relation.name == OUTBOX {
            // Only its inserts are events (the row is deleted in the same transaction).
            if let (Some(_), Op::Create, Some(new), Some(open)) =
                (&self.settings.order_events, op, new.as_deref(), self.open.as_mut())
            {
                let (row, _) = pgoutput::row_json(&relation.columns, new);
                match OrderEvent::from_outbox_row(&row) {
                    Some(event) => open.order_events.push(event),
                    None => tracing::warn!(lsn, "an outbox row that is not an order event; skipped"),
                }
            }
            return Ok(());
        }
        let Some(table) = self.settings.tables.iter().copied().find(|t| t.table_name() == relation.name) else {
            return Ok(());
        };
        let open = self.open.as_ref().context("change outside a transaction")?;
        let origin = Origin {
            connector_name: &self.settings.name,
            db: &self.settings.name,
            schema: &relation.schema,
            table: &relation.name,
            tx_id: Some(open.xid),
            lsn,
            last_commit_lsn: self.last_commit,
            commit_ms: open.commit_ms,
            snapshot: false,
        };
        let event = pgoutput::change_event(op, &origin, relation, old.as_deref(), new.as_deref());
        // Only an undecodable change needs its envelope as text.
        let raw_payload = event.is_err().then(|| {
            let before = old.as_ref().map(|datums| pgoutput::row_json(&relation.columns, datums));
            let after = new.as_ref().map(|datums| pgoutput::row_json(&relation.columns, datums));
            pgoutput::envelope(op.code(), &origin, before, after).to_string()
        });
        if let Some(open) = self.open.as_mut() {
            open.events.push((table, lsn, event, raw_payload));
        }
        Ok(())
    }

    /// Closes the open transaction into `polled`.
    fn on_commit(&mut self, end_lsn: u64, polled: &mut Polled<u64>, paused: &BTreeSet<CapturedTable>) -> usize {
        let Some(open) = self.open.take() else { return 0 };
        if let Some(feed) = &self.settings.order_events {
            for event in open.order_events {
                feed.publish(event);
            }
        }
        let mut count = 0;
        let mut touched = BTreeSet::new();
        for (table, lsn, event, raw_payload) in open.events {
            if paused.contains(&table) || end_lsn <= self.skip_until.get(&table).copied().unwrap_or(0) {
                continue;
            }
            let batch = polled.tables.entry(table).or_default();
            let raw = || RawRecord {
                source: self.settings.name.clone(),
                position: lsn.to_string(),
                key: None,
                payload: raw_payload,
            };
            route(batch, table, event, raw);
            touched.insert(table);
            count += 1;
        }
        for table in touched {
            let offset =
                Offset { source: self.settings.offset_source(table), partition: 0, position: lsn_i64(end_lsn) };
            polled.tables.entry(table).or_default().offsets.push(offset);
        }
        self.last_commit = end_lsn;
        polled.ack = Some(end_lsn);
        count
    }
}

impl Drop for ReplicationSource {
    fn drop(&mut self) {
        self.stop_client();
    }
}

fn lsn_i64(lsn: u64) -> i64 {
    i64::try_from(lsn).unwrap_or(i64::MAX)
}

impl ChangeSource for ReplicationSource {
    type Ack = u64;

    fn label(&self) -> String {
        self.settings.name.clone()
    }

    fn tables(&self) -> Vec<CapturedTable> {
        self.settings.tables.clone()
    }

    async fn start(&mut self, sink: &Sink) -> anyhow::Result<()> {
        self.stop_client();
        self.open = None;
        self.relations = Relations::default();
        let pool = match &self.pool {
            Some(pool) => pool.clone(),
            None => {
                let pool = crate::pg::options(2).connect(&self.settings.url).await?;
                self.pool = Some(pool.clone());
                pool
            }
        };
        let sources: Vec<String> = self.settings.tables.iter().map(|t| self.settings.offset_source(*t)).collect();
        let stored = sink.offsets(&sources).await?;
        let stored: HashMap<CapturedTable, u64> = self
            .settings
            .tables
            .iter()
            .filter_map(|t| {
                stored.get(&(self.settings.offset_source(*t), 0)).map(|p| (*t, u64::try_from(*p).unwrap_or(0)))
            })
            .collect();
        let slot = sqlx::query(
            "SELECT confirmed_flush_lsn::text AS confirmed, active_pid FROM pg_replication_slots WHERE slot_name = $1",
        )
        .bind(&self.settings.slot)
        .fetch_optional(&pool)
        .await?;
        if let Some(pid) = slot.as_ref().and_then(|row| row.try_get::<Option<i32>, _>("active_pid").ok().flatten()) {
            // A previous incarnation of this reader still holds the slot (it was killed without closing).
            sqlx::query("SELECT pg_terminate_backend($1)").bind(pid).execute(&pool).await?;
            bail!("replication slot {} was held by pid {pid}; terminated it, retrying", self.settings.slot);
        }
        let complete = stored.len() == self.settings.tables.len();
        let config = self.replication_config()?;
        match slot {
            Some(row) if complete => {
                let confirmed: Option<String> = row.try_get("confirmed")?;
                let confirmed = Lsn::parse(confirmed.as_deref().unwrap_or("0/0"))
                    .map_err(|err| anyhow::anyhow!("confirmed_flush_lsn: {err}"))?;
                self.skip_until = stored.clone();
                self.acked = stored.iter().map(|(t, lsn)| (*t, (*lsn).max(confirmed.as_u64()))).collect();
                self.last_commit = confirmed.as_u64();
                let client =
                    ReplicationClient::connect(config.with_start_lsn(confirmed).with_ack_lsn(confirmed)).await?;
                self.client = Some(client);
                self.snapshot = None;
            }
            existing => {
                if existing.is_some() {
                    sqlx::query("SELECT pg_drop_replication_slot($1)").bind(&self.settings.slot).execute(&pool).await?;
                }
                let mut client = ReplicationClient::connect_gated(config).await?;
                let rows = client
                    .simple_query(&format!(
                        "CREATE_REPLICATION_SLOT {} LOGICAL pgoutput EXPORT_SNAPSHOT",
                        self.settings.slot
                    ))
                    .await?;
                let row = rows.first().context("CREATE_REPLICATION_SLOT returned no row")?;
                let field =
                    |i: usize| row.get(i).and_then(|v| v.as_ref()).map(|b| String::from_utf8_lossy(b).into_owned());
                let consistent = Lsn::parse(&field(1).context("no consistent_point")?)
                    .map_err(|err| anyhow::anyhow!("consistent_point: {err}"))?
                    .as_u64();
                let name = field(2).context("no snapshot name")?;
                tracing::info!(source = %self.settings.name, slot = %self.settings.slot, consistent, "replication slot created; reading snapshot");
                let snapshot = self.read_snapshot(&pool, &name, consistent).await?;
                client.start().await?;
                self.client = Some(client);
                self.skip_until = self.settings.tables.iter().map(|t| (*t, consistent)).collect();
                self.acked = self.skip_until.clone();
                self.last_commit = consistent;
                self.snapshot = Some(snapshot);
            }
        }
        if let Some(client) = self.client.as_mut() {
            client.wait_started().await?;
        }
        Ok(())
    }

    async fn poll(&mut self, paused: &BTreeSet<CapturedTable>) -> anyhow::Result<Polled<u64>> {
        if let Some(mut snapshot) = self.snapshot.take() {
            snapshot.tables.retain(|table, _| !paused.contains(table));
            return Ok(snapshot);
        }
        let mut polled = Polled::default();
        let mut events = 0usize;
        let idle_until = Instant::now() + Duration::from_millis(200);
        let mut until = idle_until;
        loop {
            let client = self.client.as_mut().context("replication source not started")?;
            let event = match timeout(until.saturating_duration_since(Instant::now()), client.recv()).await {
                Err(_) => break,
                Ok(received) => received?.context("replication stream ended")?,
            };
            match event {
                ReplicationEvent::Begin { xid, commit_time_micros, .. } => {
                    // pgoutput times count from 2000-01-01.
                    let commit_ms = commit_time_micros / 1000 + 946_684_800_000;
                    self.open = Some(OpenTx { xid, commit_ms, events: Vec::new(), order_events: Vec::new() });
                }
                ReplicationEvent::XLogData { wal_start, data, .. } => self.on_message(&data, wal_start.as_u64())?,
                ReplicationEvent::Commit { end_lsn, .. } => {
                    let first = polled.ack.is_none();
                    events += self.on_commit(end_lsn.as_u64(), &mut polled, paused);
                    if first {
                        until = Instant::now() + self.settings.linger;
                    }
                    if events >= self.settings.max_batch {
                        break;
                    }
                }
                ReplicationEvent::Message { .. } | ReplicationEvent::KeepAlive { .. } => {}
                ReplicationEvent::StoppedAt { .. } => bail!("replication stream stopped"),
            }
        }
        Ok(polled)
    }

    async fn committed(&mut self, ack: u64, paused: &BTreeSet<CapturedTable>) -> anyhow::Result<()> {
        for table in &self.settings.tables {
            if !paused.contains(table) {
                let acked = self.acked.entry(*table).or_default();
                *acked = (*acked).max(ack);
            }
        }
        let confirm = self.settings.tables.iter().map(|t| self.acked.get(t).copied().unwrap_or(0)).min().unwrap_or(0);
        if let Some(client) = &self.client {
            client.update_applied_lsn(Lsn::from_u64(confirm));
        }
        Ok(())
    }

    async fn rewind(&mut self, table: CapturedTable, sink: &Sink) -> anyhow::Result<()> {
        tracing::info!(source = %self.settings.name, table = table.table_name(), "rewinding to stored positions");
        self.start(sink).await
    }
}
