//! One Reservation actor per book: every stock change for that book in this process goes through it, so a rush on
//! one title queues here instead of piling up row locks in PostgreSQL.
//!
//! Holds, confirms and releases that arrive while the database is busy with the previous batch wait in the
//! actor and go out together as the next batch: one transaction, one commit for many checkouts (group commit).
//! Each batch is conditional SQL under the stock row's lock, which keeps stock correct across processes too.
//! Admin changes (set, adjust) and a cancelled order's return run on their own, in arrival order, each before the
//! next batch.

use std::mem;
use std::time::Duration;

use bookstore_entities::repo::stock::{Hold, ReservationOutcome, Settle, StockChange, StockRepo};
use chrono::{DateTime, Utc};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use uuid::Uuid;

use crate::error::CommerceError;
use crate::pool::{Pool, SupervisorSlot};

pub(crate) struct Reservation;

pub(crate) struct ReservationState {
    book_id: Uuid,
    repo: StockRepo,
    /// Work that arrived while a batch was in flight.
    queued: Batch,
    /// Changes that run alone (admin set and adjust, returns) waiting for the work in flight to finish.
    solo: Vec<SoloChange>,
    /// Whether a batch or an admin change is running now; at most one at a time per book in this process.
    busy: bool,
}

type Reply<T> = RpcReplyPort<Result<T, CommerceError>>;

pub(crate) enum StockMsg {
    Reserve {
        checkout_id: Uuid,
        quantity: i32,
        expires_at: DateTime<Utc>,
        reply: Reply<bool>,
    },
    Release {
        checkout_id: Uuid,
        reply: Reply<i32>,
    },
    Confirm {
        checkout_id: Uuid,
        reply: Reply<i32>,
    },
    Set {
        quantity: i32,
        reply: Reply<StockChange>,
    },
    Adjust {
        delta: i32,
        reply: Reply<StockChange>,
    },
    /// A cancelled order gives back what it holds or bought of this book.
    GiveBack {
        checkout_id: Uuid,
        reply: Reply<i32>,
    },
    /// The work in flight is done: start what queued meanwhile.
    Done,
}

/// Holds and settlements bound for one transaction, with who waits for each answer.
#[derive(Default)]
struct Batch {
    settle: Vec<Settle>,
    settle_replies: Vec<Reply<i32>>,
    hold: Vec<Hold>,
    hold_replies: Vec<Reply<bool>>,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.settle.is_empty() && self.hold.is_empty()
    }

    async fn run(self, book_id: Uuid, repo: &StockRepo) {
        metrics::histogram!("reservation_batch_size").record((self.settle.len() + self.hold.len()) as f64);
        match repo.apply(book_id, &self.settle, &self.hold).await {
            Ok(ReservationOutcome { settled, granted }) => {
                // A reply nobody waits for any more (the caller timed out) is not an error of ours.
                for (reply, units) in self.settle_replies.into_iter().zip(settled) {
                    let _ = reply.send(Ok(units));
                }
                for (reply, held) in self.hold_replies.into_iter().zip(granted) {
                    let _ = reply.send(Ok(held));
                }
            }
            Err(err) => {
                // Every caller learns the same thing, including whether the database is unavailable (503).
                let err = CommerceError::from(err);
                for reply in self.settle_replies {
                    let _ = reply.send(Err(err.clone()));
                }
                for reply in self.hold_replies {
                    let _ = reply.send(Err(err.clone()));
                }
            }
        }
    }
}

/// A change that runs alone, not in a batch: rare, and each must not wait behind a steady stream of checkouts.
enum SoloChange {
    Set { quantity: i32, reply: Reply<StockChange> },
    Adjust { delta: i32, reply: Reply<StockChange> },
    GiveBack { checkout_id: Uuid, reply: Reply<i32> },
}

impl SoloChange {
    async fn run(self, book_id: Uuid, repo: &StockRepo) {
        // A reply nobody waits for any more (the caller timed out) is not an error of ours.
        match self {
            SoloChange::Set { quantity, reply } => {
                let _ = reply.send(repo.set_quantity(book_id, quantity).await.map_err(Into::into));
            }
            SoloChange::Adjust { delta, reply } => {
                let _ = reply.send(repo.adjust(book_id, delta).await.map_err(Into::into));
            }
            SoloChange::GiveBack { checkout_id, reply } => {
                let _ = reply.send(repo.give_back(book_id, checkout_id).await.map_err(Into::into));
            }
        }
    }
}

impl Actor for Reservation {
    type Msg = StockMsg;
    type State = ReservationState;
    type Arguments = (Uuid, StockRepo);

    async fn pre_start(
        &self,
        _myself: ActorRef<StockMsg>,
        (book_id, repo): (Uuid, StockRepo),
    ) -> Result<ReservationState, ActorProcessingErr> {
        Ok(ReservationState { book_id, repo, queued: Batch::default(), solo: Vec::new(), busy: false })
    }

    async fn handle(
        &self,
        myself: ActorRef<StockMsg>,
        message: StockMsg,
        state: &mut ReservationState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            StockMsg::Reserve { checkout_id, quantity, expires_at, reply } => {
                state.queued.hold.push(Hold { checkout_id, quantity, expires_at });
                state.queued.hold_replies.push(reply);
            }
            StockMsg::Release { checkout_id, reply } => {
                state.queued.settle.push(Settle { checkout_id, confirm: false });
                state.queued.settle_replies.push(reply);
            }
            StockMsg::Confirm { checkout_id, reply } => {
                state.queued.settle.push(Settle { checkout_id, confirm: true });
                state.queued.settle_replies.push(reply);
            }
            StockMsg::Set { quantity, reply } => state.solo.push(SoloChange::Set { quantity, reply }),
            StockMsg::Adjust { delta, reply } => state.solo.push(SoloChange::Adjust { delta, reply }),
            StockMsg::GiveBack { checkout_id, reply } => state.solo.push(SoloChange::GiveBack { checkout_id, reply }),
            StockMsg::Done => state.busy = false,
        }
        if !state.busy {
            start_next(&myself, state);
        }
        Ok(())
    }
}

/// Sends the next piece of work to the database on its own task, so requests keep queueing meanwhile; the task
/// tells the actor when it is done, also when it panicked (its callers then get an error, not a hang). Solo
/// changes go first: they are rare, and a steady stream of checkouts must not starve them.
fn start_next(myself: &ActorRef<StockMsg>, state: &mut ReservationState) {
    let (book_id, repo) = (state.book_id, state.repo.clone());
    let work = if !state.solo.is_empty() {
        Work::Solo(state.solo.remove(0))
    } else if !state.queued.is_empty() {
        Work::Batch(mem::take(&mut state.queued))
    } else {
        return;
    };
    state.busy = true;
    let done = NotifyOnDrop(myself.clone());
    tokio::spawn(async move {
        let _done = done;
        match work {
            Work::Solo(change) => change.run(book_id, &repo).await,
            Work::Batch(batch) => batch.run(book_id, &repo).await,
        }
    });
}

enum Work {
    Solo(SoloChange),
    Batch(Batch),
}

/// Tells the actor its work in flight finished, however the task ended.
struct NotifyOnDrop(ActorRef<StockMsg>);

impl Drop for NotifyOnDrop {
    fn drop(&mut self) {
        // The actor may be gone (passivated or shut down): then nobody needs to know.
        let _ = self.0.cast(StockMsg::Done);
    }
}

/// The Reservation actors, one per book: every stock change is routed to its book's actor. Cheap to clone.
#[derive(Clone)]
pub struct Reservations {
    pool: Pool<Uuid, Reservation>,
}

impl Reservations {
    pub(crate) fn new(repo: StockRepo, idle: Duration, timeout: Duration, supervisor: SupervisorSlot) -> Self {
        let pool = Pool::new("reservation", idle, timeout, supervisor, move |book: &Uuid| {
            (Reservation, (*book, repo.clone()))
        });
        Self { pool }
    }

    pub async fn reserve(
        &self,
        book_id: Uuid,
        checkout_id: Uuid,
        quantity: i32,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, CommerceError> {
        self.pool.call(&book_id, |reply| StockMsg::Reserve { checkout_id, quantity, expires_at, reply }).await?
    }

    pub async fn release(&self, book_id: Uuid, checkout_id: Uuid) -> Result<i32, CommerceError> {
        self.pool.call(&book_id, |reply| StockMsg::Release { checkout_id, reply }).await?
    }

    pub async fn confirm(&self, book_id: Uuid, checkout_id: Uuid) -> Result<i32, CommerceError> {
        self.pool.call(&book_id, |reply| StockMsg::Confirm { checkout_id, reply }).await?
    }

    /// Sets the units on hand (admin).
    pub async fn set(&self, book_id: Uuid, quantity: i32) -> Result<StockChange, CommerceError> {
        self.pool.call(&book_id, |reply| StockMsg::Set { quantity, reply }).await?
    }

    /// Adds `delta` units (admin; negative removes).
    pub async fn adjust(&self, book_id: Uuid, delta: i32) -> Result<StockChange, CommerceError> {
        self.pool.call(&book_id, |reply| StockMsg::Adjust { delta, reply }).await?
    }

    /// Gives back what a cancelled order holds or bought of a book, once; the units given back (0 when they were
    /// before).
    pub async fn give_back(&self, book_id: Uuid, checkout_id: Uuid) -> Result<i32, CommerceError> {
        self.pool.call(&book_id, |reply| StockMsg::GiveBack { checkout_id, reply }).await?
    }

    pub(crate) async fn passivate_idle(&self) {
        self.pool.passivate_idle().await;
    }
}
