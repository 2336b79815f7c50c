//! One actor per analytics table: applies the batches its sources send, one transaction each, and tells the view
//! refresher that something changed. An error fails the actor (the supervisor restarts it with backoff) and is
//! answered first, so the source pauses the table instead of losing its changes.

use std::sync::Arc;
use std::time::Instant;

use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};

use super::{Context, refresher::RefresherMsg};
use crate::sink::{BatchApplied, TableBatch};
use crate::sources::topic::CapturedTable;

pub enum StreamMsg {
    Apply(TableBatch, RpcReplyPort<Result<BatchApplied, String>>),
    /// Answers when the actor is up: sources use it to see that a failed stream is back.
    Ping(RpcReplyPort<()>),
}

pub struct StreamActor;

pub struct StreamState {
    table: CapturedTable,
    ctx: Arc<Context>,
}

impl Actor for StreamActor {
    type Msg = StreamMsg;
    type State = StreamState;
    type Arguments = (CapturedTable, Arc<Context>);

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        (table, ctx): Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        ctx.status.activity(&Context::stream_component(table), 0);
        Ok(StreamState { table, ctx })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let (batch, reply) = match message {
            StreamMsg::Ping(reply) => {
                let _ = reply.send(());
                return Ok(());
            }
            StreamMsg::Apply(batch, reply) => (batch, reply),
        };
        let table = state.table.table_name();
        let started = Instant::now();
        match state.ctx.sink.apply(state.table, &batch).await {
            Ok(applied) => {
                metrics::histogram!("materializer_batch_seconds", "table" => table).record(started.elapsed());
                metrics::counter!("materializer_events_total", "table" => table, "kind" => "upsert")
                    .increment(applied.upserts);
                metrics::counter!("materializer_events_total", "table" => table, "kind" => "delete")
                    .increment(applied.deletes);
                let events = applied.upserts + applied.deletes + applied.truncates;
                state.ctx.status.activity(&Context::stream_component(state.table), events);
                if (events > 0 || batch.reset)
                    && let Some(refresher) = state.ctx.refresher()
                {
                    let _ = refresher.cast(RefresherMsg::Changed);
                }
                let _ = reply.send(Ok(applied));
                Ok(())
            }
            Err(err) => {
                let message = format!("applying a {table} batch: {err}");
                let _ = reply.send(Err(message.clone()));
                Err(message.into())
            }
        }
    }
}
