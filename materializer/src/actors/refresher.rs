//! Records when the views last changed, debounced: the first change after a quiet period schedules a record
//! `debounce` later, and everything that arrives meanwhile rides along. The views themselves are current as soon
//! as a batch commits (summary tables maintained by triggers, ADR 006); this only feeds `refreshedAt` in
//! `materializer_view_refreshes`.

use std::sync::Arc;

use ractor::{Actor, ActorProcessingErr, ActorRef};

use super::Context;

pub enum RefresherMsg {
    /// Some analytics table changed.
    Changed,
    Refresh,
}

pub struct RefresherActor;

pub struct RefresherState {
    ctx: Arc<Context>,
    dirty: bool,
    scheduled: bool,
}

impl Actor for RefresherActor {
    type Msg = RefresherMsg;
    type State = RefresherState;
    type Arguments = Arc<Context>;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        ctx: Self::Arguments,
    ) -> Result<Self::State, ActorProcessingErr> {
        ctx.status.activity(Context::REFRESHER, 0);
        // A restart may have lost a pending refresh: do one.
        myself.cast(RefresherMsg::Changed)?;
        Ok(RefresherState { ctx, dirty: false, scheduled: false })
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            RefresherMsg::Changed => {
                state.dirty = true;
                if !state.scheduled {
                    state.scheduled = true;
                    myself.send_after(state.ctx.settings.refresh_debounce, || RefresherMsg::Refresh);
                }
            }
            RefresherMsg::Refresh => {
                state.scheduled = false;
                if state.dirty {
                    state.dirty = false;
                    refresh_all(&state.ctx).await?;
                }
            }
        }
        Ok(())
    }
}

/// Refreshes every view; a failure fails the actor (restarted with backoff, and it refreshes again on start).
async fn refresh_all(ctx: &Context) -> Result<(), ActorProcessingErr> {
    crate::sink::views::refresh_views(ctx.sink.pool()).await?;
    ctx.status.activity(Context::REFRESHER, 1);
    Ok(())
}
