//! Settles reservations that a crash or a lost connection left HELD: confirmed when their order committed (the
//! order id is the checkout id), released when it did not and they expired. Runs on a timer, and on demand.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use uuid::Uuid;

use crate::commerce::Deps;
use crate::error::CommerceError;

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub confirmed: usize,
    pub released: usize,
}

pub(crate) struct Sweeper;

pub(crate) enum SweeperMsg {
    Tick,
    Now(RpcReplyPort<Result<SweepReport, CommerceError>>),
}

impl Actor for Sweeper {
    type Msg = SweeperMsg;
    type State = Arc<Deps>;
    type Arguments = Arc<Deps>;

    async fn pre_start(&self, myself: ActorRef<SweeperMsg>, deps: Arc<Deps>) -> Result<Arc<Deps>, ActorProcessingErr> {
        myself.send_interval(deps.config.sweep_interval, || SweeperMsg::Tick);
        Ok(deps)
    }

    async fn handle(
        &self,
        _myself: ActorRef<SweeperMsg>,
        message: SweeperMsg,
        deps: &mut Arc<Deps>,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SweeperMsg::Tick => match sweep(deps).await {
                Ok(report) if report != SweepReport::default() => tracing::info!(?report, "settled reservations"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "sweep failed; retrying next tick"),
            },
            SweeperMsg::Now(reply) => {
                let _ = reply.send(sweep(deps).await);
            }
        }
        Ok(())
    }
}

pub(crate) async fn sweep(deps: &Deps) -> Result<SweepReport, CommerceError> {
    let now = Utc::now();
    let held = deps.stock_repo.held_before(now - deps.config.sweep_grace).await?;
    if held.is_empty() {
        return Ok(SweepReport::default());
    }
    let checkouts: Vec<Uuid> = held.iter().map(|h| h.checkout_id).collect::<HashSet<_>>().into_iter().collect();
    let ordered: HashSet<Uuid> = deps.orders.existing(&checkouts).await?.into_iter().collect();
    let mut report = SweepReport::default();
    for reservation in held {
        if ordered.contains(&reservation.checkout_id) {
            if deps.stock.confirm(reservation.book_id, reservation.checkout_id).await? > 0 {
                report.confirmed += 1;
            }
        } else if reservation.expires_at < now
            && deps.stock.release(reservation.book_id, reservation.checkout_id).await? > 0
        {
            report.released += 1;
        }
    }
    metrics::counter!("reservations_swept_total", "outcome" => "confirmed").increment(report.confirmed as u64);
    metrics::counter!("reservations_swept_total", "outcome" => "released").increment(report.released as u64);
    Ok(report)
}
