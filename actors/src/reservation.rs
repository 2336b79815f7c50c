//! One Reservation actor per book: every stock change for that book in this process goes through it, one at a
//! time, so a rush on one title queues here instead of piling up row locks in PostgreSQL. Each change is a single
//! conditional statement, which keeps stock correct across processes too.

use std::time::Duration;

use bookstore_entities::repo::stock::{StockChange, StockRepo};
use chrono::{DateTime, Utc};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use sea_orm::DbErr;
use uuid::Uuid;

use crate::error::CommerceError;
use crate::pool::{Pool, SupervisorSlot};

pub(crate) struct Reservation;

pub(crate) struct ReservationState {
    book_id: Uuid,
    repo: StockRepo,
}

type Reply<T> = RpcReplyPort<Result<T, DbErr>>;

pub(crate) enum StockMsg {
    Reserve { checkout_id: Uuid, quantity: i32, expires_at: DateTime<Utc>, reply: Reply<bool> },
    Release { checkout_id: Uuid, reply: Reply<i32> },
    Confirm { checkout_id: Uuid, reply: Reply<i32> },
    Set { quantity: i32, reply: Reply<StockChange> },
    Adjust { delta: i32, reply: Reply<StockChange> },
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
        Ok(ReservationState { book_id, repo })
    }

    async fn handle(
        &self,
        _myself: ActorRef<StockMsg>,
        message: StockMsg,
        state: &mut ReservationState,
    ) -> Result<(), ActorProcessingErr> {
        let (repo, book) = (&state.repo, state.book_id);
        // A reply nobody waits for any more (the caller timed out) is not an error of ours.
        match message {
            StockMsg::Reserve { checkout_id, quantity, expires_at, reply } => {
                let _ = reply.send(repo.reserve(checkout_id, book, quantity, expires_at).await);
            }
            StockMsg::Release { checkout_id, reply } => {
                let _ = reply.send(repo.release(checkout_id, book).await);
            }
            StockMsg::Confirm { checkout_id, reply } => {
                let _ = reply.send(repo.confirm(checkout_id, book).await);
            }
            StockMsg::Set { quantity, reply } => {
                let _ = reply.send(repo.set_quantity(book, quantity).await);
            }
            StockMsg::Adjust { delta, reply } => {
                let _ = reply.send(repo.adjust(book, delta).await);
            }
        }
        Ok(())
    }
}

/// Stock changes, each routed to its book's Reservation actor. Cheap to clone.
#[derive(Clone)]
pub struct Stock {
    pool: Pool<Uuid, Reservation>,
}

impl Stock {
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
        Ok(self.pool.call(&book_id, |reply| StockMsg::Reserve { checkout_id, quantity, expires_at, reply }).await??)
    }

    pub async fn release(&self, book_id: Uuid, checkout_id: Uuid) -> Result<i32, CommerceError> {
        Ok(self.pool.call(&book_id, |reply| StockMsg::Release { checkout_id, reply }).await??)
    }

    pub async fn confirm(&self, book_id: Uuid, checkout_id: Uuid) -> Result<i32, CommerceError> {
        Ok(self.pool.call(&book_id, |reply| StockMsg::Confirm { checkout_id, reply }).await??)
    }

    /// Sets the units on hand (admin).
    pub async fn set(&self, book_id: Uuid, quantity: i32) -> Result<StockChange, CommerceError> {
        Ok(self.pool.call(&book_id, |reply| StockMsg::Set { quantity, reply }).await??)
    }

    /// Adds `delta` units (admin; negative removes).
    pub async fn adjust(&self, book_id: Uuid, delta: i32) -> Result<StockChange, CommerceError> {
        Ok(self.pool.call(&book_id, |reply| StockMsg::Adjust { delta, reply }).await??)
    }

    pub(crate) async fn passivate_idle(&self) {
        self.pool.passivate_idle().await;
    }
}
