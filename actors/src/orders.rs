//! Orders after checkout: an admin ships and then delivers them; the shopper who owns one, or an admin, cancels it
//! while it has not shipped, and a cancel gives the order's units back to stock.
//!
//! Each move is one ecom transaction (the order's status, a history line, an outbox event; `OrderRepo::transition`).
//! A repeated move finds the order already there and changes nothing, so every request is safe to retry. A cancel
//! commits in ecom first; the units then go back through each book's Reservation actor and `stock_return`, which
//! settles each of the order's reservations at most once (CONFIRMED → RETURNED, or a still HELD one → RELEASED), and
//! last the order is marked `stock_returned_at`. Whatever interrupts that — a crash, the inventory database away —
//! a retried cancel or the sweeper finishes it (ADR 005).

use std::sync::Arc;

use bookstore_entities::repo::order::{Move, Moved, OrderRecord};
use bookstore_entities::types::OrderStatus;
use futures::future::try_join_all;
use uuid::Uuid;

use crate::commerce::Deps;
use crate::error::CommerceError;

/// Who asks for a move.
#[derive(Clone, Copy, Debug)]
pub enum Mover<'a> {
    /// A shopper: only their own orders exist for them.
    Shopper(&'a str),
    Admin(&'a str),
}

impl<'a> Mover<'a> {
    fn id(self) -> &'a str {
        match self {
            Mover::Shopper(id) | Mover::Admin(id) => id,
        }
    }
}

/// A move that could not happen.
#[derive(Clone, Debug, thiserror::Error)]
pub enum MoveError {
    #[error("there is no such order")]
    NotFound,
    /// The order's status does not lead to the one asked for.
    #[error("the order is {current} and can move to {}", list(allowed))]
    NotAllowed { current: OrderStatus, allowed: &'static [OrderStatus] },
    #[error(transparent)]
    Commerce(#[from] CommerceError),
}

fn list(statuses: &[OrderStatus]) -> String {
    if statuses.is_empty() {
        return "no other status".to_owned();
    }
    statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or ")
}

impl From<sea_orm::DbErr> for MoveError {
    fn from(err: sea_orm::DbErr) -> Self {
        MoveError::Commerce(err.into())
    }
}

/// Moves of placed orders. Cheap to clone.
#[derive(Clone)]
pub struct Orders {
    deps: Arc<Deps>,
}

impl Orders {
    pub(crate) fn new(deps: Arc<Deps>) -> Self {
        Self { deps }
    }

    /// CONFIRMED → SHIPPED, with the shipment's carrier and tracking number when known (admin).
    pub async fn ship(
        &self,
        order_id: Uuid,
        admin: &str,
        carrier: Option<&str>,
        tracking_number: Option<&str>,
    ) -> Result<OrderRecord, MoveError> {
        let change =
            Move { carrier, tracking_number, ..self.change(order_id, OrderStatus::Shipped, Mover::Admin(admin), None) };
        self.apply(&change).await.map(|(order, _)| order)
    }

    /// SHIPPED → DELIVERED (admin).
    pub async fn deliver(&self, order_id: Uuid, admin: &str) -> Result<OrderRecord, MoveError> {
        self.apply(&self.change(order_id, OrderStatus::Delivered, Mover::Admin(admin), None))
            .await
            .map(|(order, _)| order)
    }

    /// CONFIRMED → CANCELLED by its shopper or an admin, with the units given back to stock. When the order was
    /// already cancelled, whatever is left of its return is done now (a retried cancel finishes an interrupted one).
    /// The cancel stands even if the return cannot finish now (the inventory database away): the sweeper finishes
    /// it, and the order is answered as cancelled.
    pub async fn cancel(
        &self,
        order_id: Uuid,
        mover: Mover<'_>,
        reason: Option<&str>,
    ) -> Result<OrderRecord, MoveError> {
        let (order, moved) = self.apply(&self.change(order_id, OrderStatus::Cancelled, mover, reason)).await?;
        if (moved || !self.deps.orders.stock_returned(order_id).await?)
            && let Err(err) = give_back(&self.deps, &order).await
        {
            tracing::warn!(order = %order_id, error = %err, "cancelled; the stock return is left to the sweeper");
        }
        Ok(order)
    }

    fn change<'a>(&self, order_id: Uuid, to: OrderStatus, mover: Mover<'a>, note: Option<&'a str>) -> Move<'a> {
        Move {
            order_id,
            to,
            actor: mover.id(),
            owner_only: matches!(mover, Mover::Shopper(_)),
            note,
            carrier: None,
            tracking_number: None,
        }
    }

    /// The order after the move, and whether this call moved it.
    async fn apply(&self, change: &Move<'_>) -> Result<(OrderRecord, bool), MoveError> {
        match self.deps.orders.transition(change).await? {
            Moved::Done(order) => Ok((order, true)),
            Moved::Already(order) => Ok((order, false)),
            Moved::Refused { current } => Err(MoveError::NotAllowed { current, allowed: current.next() }),
            Moved::NotFound => Err(MoveError::NotFound),
        }
    }
}

/// Gives a cancelled order's units back, one Reservation actor per book, then marks the order as returned.
pub(crate) async fn give_back(deps: &Deps, order: &OrderRecord) -> Result<i32, CommerceError> {
    let returns = order.items.iter().map(|line| deps.reservations.give_back(line.book_id, order.id));
    let units: i32 = try_join_all(returns).await?.into_iter().sum();
    deps.orders.mark_stock_returned(order.id).await?;
    Ok(units)
}
