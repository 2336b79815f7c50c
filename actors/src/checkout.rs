//! The checkout saga, run by the shopper's CartSession so one shopper's checkouts never overlap.
//!
//! 1. Reserve every line through its book's Reservation actor, all lines at once — all or nothing: when a line cannot be held, what
//!    was held is released and the answer names every short book.
//! 2. One ecom transaction writes the order (its id is the saga's id, also on every reservation), its lines at
//!    today's prices, the `order.created` outbox event, and removes the bought cart lines — provided the cart in
//!    the database still holds exactly the lines the saga started from (the actor's copy in memory, which saves
//!    reading them back; another replica may have changed the cart meanwhile, see [`CommerceError::CartChanged`]).
//! 3. Confirm the reservations: `quantity` and `reserved` fall together, once per reservation.
//!
//! A crash between steps leaves HELD reservations; the sweeper confirms them when the order exists and releases
//! them when it does not and they expired. So nothing is ever half done for long.

use std::collections::HashMap;

use bookstore_entities::repo::cart::CartLine;
use bookstore_entities::repo::order::{NewOrder, OrderRecord, PlaceError};
use chrono::Utc;
use futures::future::join_all;
use uuid::Uuid;

use crate::commerce::Deps;
use crate::error::CommerceError;

/// A new order (HTTP 201) or the one an earlier request with the same idempotency key made (HTTP 200).
#[derive(Clone, Debug)]
pub enum CheckoutOutcome {
    Created(OrderRecord),
    Replayed(OrderRecord),
}

/// A line that could not be held: the book, how many were wanted, how many are available now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortage {
    pub book_id: Uuid,
    pub title: String,
    pub requested: i32,
    pub available: i32,
}

/// Checks out `cart`, the shopper's cart as the CartSession actor holds it.
pub(crate) async fn run(
    deps: &Deps,
    user: &str,
    key: Option<&str>,
    cart: &[CartLine],
) -> Result<CheckoutOutcome, CommerceError> {
    if let Some(key) = key
        && let Some(order) = deps.orders.find_by_key(user, key).await?
    {
        return Ok(CheckoutOutcome::Replayed(order));
    }
    let mut lines: Vec<(Uuid, i32)> = cart.iter().map(|line| (line.book_id, line.quantity)).collect();
    if lines.is_empty() {
        return Err(CommerceError::EmptyCart);
    }
    lines.sort_unstable();

    // Time-ordered: the order's id, so each new order lands at the end of the orders index (ADR 012).
    let checkout_id = Uuid::now_v7();
    let expires_at = Utc::now() + deps.config.reservation_ttl;
    // Every line at once: each book's Reservation actor batches its holds with other shoppers'.
    let outcomes = join_all(
        lines.iter().map(|&(book_id, quantity)| deps.reservations.reserve(book_id, checkout_id, quantity, expires_at)),
    )
    .await;
    let (mut held, mut short, mut failure) = (Vec::new(), Vec::new(), None);
    for (&(book_id, quantity), outcome) in lines.iter().zip(outcomes) {
        match outcome {
            Ok(true) => held.push(book_id),
            Ok(false) => short.push((book_id, quantity)),
            Err(err) => failure = Some(err),
        }
    }
    if let Some(err) = failure {
        release(deps, checkout_id, &held).await;
        return Err(err);
    }
    if !short.is_empty() {
        release(deps, checkout_id, &held).await;
        return Err(CommerceError::InsufficientStock(shortages(deps, &short).await?));
    }
    deps.faults.crash_point(Step::Reserved);

    // Never commit an order whose reservations the sweeper may already consider abandoned.
    if Utc::now() + deps.config.reservation_ttl / 4 > expires_at {
        release(deps, checkout_id, &held).await;
        return Err(CommerceError::Unavailable("checkout took too long; nothing was charged".to_owned()));
    }
    let order = NewOrder { id: checkout_id, user_id: user, idempotency_key: key, lines: &lines };
    let record = match deps.orders.place(&order).await {
        Ok(record) => record,
        Err(PlaceError::DuplicateKey) => {
            // A concurrent request with the same key won the race: answer with its order.
            release(deps, checkout_id, &held).await;
            let key = key.unwrap_or_default();
            let existing = deps.orders.find_by_key(user, key).await?;
            return existing
                .map(CheckoutOutcome::Replayed)
                .ok_or_else(|| CommerceError::Internal(format!("order for idempotency key {key:?} vanished")));
        }
        Err(PlaceError::MissingBooks(ids)) => {
            release(deps, checkout_id, &held).await;
            return Err(CommerceError::BooksGone(ids));
        }
        Err(PlaceError::CartChanged) => {
            release(deps, checkout_id, &held).await;
            return Err(CommerceError::CartChanged);
        }
        // The commit may or may not have happened: leave the reservations to the sweeper, which checks.
        Err(PlaceError::Db(err)) => return Err(err.into()),
    };
    deps.faults.crash_point(Step::Ordered);

    let confirmed = join_all(held.iter().map(|&book_id| deps.reservations.confirm(book_id, checkout_id))).await;
    for (book_id, outcome) in held.iter().zip(confirmed) {
        if let Err(err) = outcome {
            tracing::warn!(order = %checkout_id, book = %book_id, error = %err, "confirm failed; the sweeper will retry");
        }
    }
    metrics::counter!("checkouts_total", "outcome" => "created").increment(1);
    Ok(CheckoutOutcome::Created(record))
}

async fn release(deps: &Deps, checkout_id: Uuid, held: &[Uuid]) {
    let released = join_all(held.iter().map(|&book_id| deps.reservations.release(book_id, checkout_id))).await;
    for (book_id, outcome) in held.iter().zip(released) {
        if let Err(err) = outcome {
            tracing::warn!(checkout = %checkout_id, book = %book_id, error = %err, "release failed; the sweeper will retry");
        }
    }
}

async fn shortages(deps: &Deps, short: &[(Uuid, i32)]) -> Result<Vec<Shortage>, CommerceError> {
    let ids: Vec<Uuid> = short.iter().map(|(id, _)| *id).collect();
    let available: HashMap<Uuid, i32> =
        deps.stock_repo.bulk(&ids).await?.into_iter().map(|s| (s.book_id, s.available())).collect();
    let titles: HashMap<Uuid, String> = deps.catalog.many(&ids).await?.into_iter().map(|b| (b.id, b.title)).collect();
    Ok(short
        .iter()
        .map(|&(book_id, requested)| Shortage {
            book_id,
            title: titles.get(&book_id).cloned().unwrap_or_else(|| book_id.to_string()),
            requested,
            available: available.get(&book_id).copied().unwrap_or(0),
        })
        .collect())
}

/// Points in the saga where fault-injection tests make the actor crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Reserved,
    Ordered,
}
