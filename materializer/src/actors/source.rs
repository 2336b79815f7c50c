//! One actor per CDC source: polls it, hands each table's part of a batch to that table's stream actor, and
//! acknowledges upstream only after every stream committed. A stream that fails is paused at the source (its
//! changes are dropped, not acknowledged) until it answers again; then the source rewinds that table to its stored
//! position. The other tables keep flowing meanwhile.

use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use ractor::{Actor, ActorProcessingErr, ActorRef};
use tokio::task::JoinSet;

use super::Context;
use super::stream::StreamMsg;
use crate::sources::ChangeSource;
use crate::sources::topic::CapturedTable;

/// How long a stream may take to commit one batch before the source treats it as failed.
const APPLY_TIMEOUT: Duration = Duration::from_secs(60);

pub enum SourceMsg {
    Poll,
}

pub struct SourceActor<S>(PhantomData<fn() -> S>);

impl<S> Default for SourceActor<S> {
    fn default() -> Self {
        SourceActor(PhantomData)
    }
}

pub struct SourceState<S> {
    source: S,
    ctx: Arc<Context>,
    paused: BTreeSet<CapturedTable>,
    component: String,
}

impl<S: ChangeSource> Actor for SourceActor<S> {
    type Msg = SourceMsg;
    type State = SourceState<S>;
    type Arguments = (S, Arc<Context>);

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        (mut source, ctx): Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        let component = Context::source_component(&source.label());
        ctx.status.set_state(&component, crate::status::ComponentState::Starting);
        source.start(&ctx.sink).await?;
        ctx.status.activity(&component, 0);
        myself.cast(SourceMsg::Poll)?;
        Ok(SourceState { source, ctx, paused: BTreeSet::new(), component })
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        SourceMsg::Poll: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        resume_paused(state).await?;
        let polled = state.source.poll(&state.paused).await?;
        let mut calls = JoinSet::new();
        let mut delivered = 0u64;
        for (table, batch) in polled.tables {
            if batch.is_empty() {
                continue;
            }
            delivered += batch.changes.len() as u64;
            let stream = state.ctx.stream(table);
            calls.spawn(async move {
                let result = match stream {
                    None => Err("stream actor is not running".to_owned()),
                    Some(stream) => {
                        match stream.call(|reply| StreamMsg::Apply(batch, reply), Some(APPLY_TIMEOUT)).await {
                            Ok(ractor::rpc::CallResult::Success(result)) => result.map(|_| ()),
                            Ok(other) => Err(format!("no answer: {other:?}")),
                            Err(err) => Err(err.to_string()),
                        }
                    }
                };
                (table, result)
            });
        }
        while let Some(joined) = calls.join_next().await {
            let (table, result) = joined?;
            if let Err(err) = result {
                tracing::warn!(table = table.table_name(), error = %err, "table stream failed; pausing it at the source");
                state.ctx.status.failed(&Context::stream_component(table), &err);
                state.paused.insert(table);
            }
        }
        if let Some(ack) = polled.ack {
            state.source.committed(ack, &state.paused).await?;
        }
        state.ctx.status.activity(&state.component, delivered);
        myself.cast(SourceMsg::Poll)?;
        Ok(())
    }
}

/// Rewinds each paused table whose stream answers again.
async fn resume_paused<S: ChangeSource>(state: &mut SourceState<S>) -> Result<(), ActorProcessingErr> {
    for table in state.paused.clone() {
        let Some(stream) = state.ctx.stream(table) else { continue };
        if stream.call(StreamMsg::Ping, Some(Duration::from_secs(1))).await.is_ok_and(|r| r.is_success()) {
            state.source.rewind(table, &state.ctx.sink).await?;
            state.paused.remove(&table);
            tracing::info!(table = table.table_name(), "table stream back; rewound to its stored position");
        }
    }
    Ok(())
}
