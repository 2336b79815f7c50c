//! Settles reservations that a crash or a lost connection left HELD: confirmed when their order committed (the
//! order id is the checkout id), released when it did not and they expired, or when the order was cancelled since.
//! And finishes the stock return of cancelled orders that a crash or an unreachable inventory database interrupted.
//! Runs on a timer, and on demand.

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
    /// Cancelled orders whose stock return this sweep finished.
    pub returned: usize,
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
    let cutoff = now - deps.config.sweep_grace;
    let mut report = SweepReport::default();
    let held = deps.stock_repo.held_before(cutoff).await?;
    let checkouts: Vec<Uuid> = held.iter().map(|h| h.checkout_id).collect::<HashSet<_>>().into_iter().collect();
    let orders = deps.orders.statuses(&checkouts).await?;
    for reservation in held {
        let (book, checkout) = (reservation.book_id, reservation.checkout_id);
        let (units, counter) = match orders.get(&checkout).map(String::as_str) {
            // Cancelled after it was placed: its units go back (here, they only leave `reserved`).
            Some("CANCELLED") => (deps.reservations.give_back(book, checkout).await?, &mut report.released),
            Some(_) => (deps.reservations.confirm(book, checkout).await?, &mut report.confirmed),
            None if reservation.expires_at < now => {
                (deps.reservations.release(book, checkout).await?, &mut report.released)
            }
            None => continue,
        };
        if units > 0 {
            *counter += 1;
        }
    }
    for order in deps.orders.cancelled_unreturned(cutoff.fixed_offset()).await? {
        crate::orders::give_back(deps, &order).await?;
        report.returned += 1;
    }
    metrics::counter!("reservations_swept_total", "outcome" => "confirmed").increment(report.confirmed as u64);
    metrics::counter!("reservations_swept_total", "outcome" => "released").increment(report.released as u64);
    metrics::counter!("reservations_swept_total", "outcome" => "returned").increment(report.returned as u64);
    Ok(report)
}
