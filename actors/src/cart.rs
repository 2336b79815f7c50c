//! One CartSession actor per shopper: it owns the shopper's cart in this process, writes every change through to
//! `cart_items`, and runs the shopper's checkouts one at a time.

use std::sync::Arc;
use std::time::Duration;

use bookstore_entities::repo::cart::{AddError, CartLine};
use bookstore_entities::types::Quantity;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use uuid::Uuid;

use crate::checkout::{self, CheckoutOutcome};
use crate::commerce::Deps;
use crate::error::CommerceError;
use crate::pool::{Pool, SupervisorSlot};

pub(crate) struct CartSession;

pub(crate) struct CartState {
    user: String,
    lines: Vec<CartLine>,
    deps: Arc<Deps>,
}

type Reply<T> = RpcReplyPort<Result<T, CommerceError>>;

pub(crate) enum CartMsg {
    Lines(Reply<Vec<CartLine>>),
    Add {
        book_id: Uuid,
        quantity: Quantity,
        reply: Reply<CartLine>,
    },
    Set {
        item_id: Uuid,
        quantity: Quantity,
        reply: Reply<CartLine>,
    },
    Remove {
        item_id: Uuid,
        reply: Reply<()>,
    },
    Checkout {
        idempotency_key: Option<String>,
        reply: Reply<CheckoutOutcome>,
    },
    /// Fault injection: panic inside the handler, as a bug would.
    #[cfg(feature = "fault-injection")]
    Crash,
}

impl Actor for CartSession {
    type Msg = CartMsg;
    type State = CartState;
    type Arguments = (String, Arc<Deps>);

    /// Rebuilds the cart from the database: after passivation, a crash, or on another replica.
    async fn pre_start(
        &self,
        _myself: ActorRef<CartMsg>,
        (user, deps): (String, Arc<Deps>),
    ) -> Result<CartState, ActorProcessingErr> {
        let lines = Box::pin(deps.carts.lines(&user)).await?;
        Ok(CartState { user, lines, deps })
    }

    async fn handle(
        &self,
        _myself: ActorRef<CartMsg>,
        message: CartMsg,
        state: &mut CartState,
    ) -> Result<(), ActorProcessingErr> {
        // Errors go back to the caller; the actor itself only dies of a panic.
        match message {
            CartMsg::Lines(reply) => {
                let _ = reply.send(Ok(state.lines.clone()));
            }
            CartMsg::Add { book_id, quantity, reply } => {
                let result =
                    Box::pin(state.deps.carts.add(&state.user, book_id, quantity)).await.map_err(|e| match e {
                        AddError::UnknownBook => CommerceError::UnknownBook,
                        AddError::TooMany => CommerceError::TooMany,
                        AddError::Db(err) => err.into(),
                    });
                if let Ok(line) = &result {
                    upsert(&mut state.lines, line.clone());
                }
                let _ = reply.send(result);
            }
            CartMsg::Set { item_id, quantity, reply } => {
                let result = match Box::pin(state.deps.carts.set(&state.user, item_id, quantity)).await {
                    Ok(Some(line)) => {
                        upsert(&mut state.lines, line.clone());
                        Ok(line)
                    }
                    Ok(None) => Err(CommerceError::NoSuchItem),
                    Err(err) => Err(err.into()),
                };
                let _ = reply.send(result);
            }
            CartMsg::Remove { item_id, reply } => {
                let result = match Box::pin(state.deps.carts.remove(&state.user, item_id)).await {
                    Ok(true) => {
                        state.lines.retain(|l| l.id != item_id);
                        Ok(())
                    }
                    Ok(false) => Err(CommerceError::NoSuchItem),
                    Err(err) => Err(err.into()),
                };
                let _ = reply.send(result);
            }
            CartMsg::Checkout { idempotency_key, reply } => {
                let key = idempotency_key.as_deref();
                // Boxed: the saga's future is large, and an actor's task is as big as the biggest future it awaits
                // inline — paid by every idle shopper's actor.
                let mut result = Box::pin(checkout::run(&state.deps, &state.user, key, &state.lines)).await;
                // The copy in memory may miss what another replica did to this cart (or an empty copy may be out
                // of date): start over once from the cart as the database holds it.
                if matches!(result, Err(CommerceError::CartChanged | CommerceError::EmptyCart)) {
                    result = match Box::pin(state.deps.carts.lines(&state.user)).await {
                        Ok(lines) => {
                            state.lines = lines;
                            Box::pin(checkout::run(&state.deps, &state.user, key, &state.lines)).await
                        }
                        Err(err) => Err(err.into()),
                    };
                }
                match &result {
                    // The order's transaction removed exactly the lines it bought.
                    Ok(CheckoutOutcome::Created(order)) => {
                        state.lines.retain(|line| !order.items.iter().any(|item| item.book_id == line.book_id));
                    }
                    Ok(CheckoutOutcome::Replayed(_))
                    | Err(CommerceError::EmptyCart | CommerceError::InsufficientStock(_)) => {}
                    // Whether the order committed is unknown (or the cart changed meanwhile): ask the database.
                    Err(_) => {
                        if let Ok(lines) = Box::pin(state.deps.carts.lines(&state.user)).await {
                            state.lines = lines;
                        }
                    }
                }
                let _ = reply.send(result);
            }
            #[cfg(feature = "fault-injection")]
            CartMsg::Crash => panic!("fault injection: cart session of {} crashed", state.user),
        }
        Ok(())
    }
}

fn upsert(lines: &mut Vec<CartLine>, line: CartLine) {
    match lines.iter_mut().find(|l| l.id == line.id) {
        Some(existing) => *existing = line,
        None => lines.push(line),
    }
}

/// Every shopper's cart, each behind its CartSession actor. Cheap to clone.
#[derive(Clone)]
pub struct Carts {
    pool: Pool<String, CartSession>,
}

impl Carts {
    pub(crate) fn new(deps: Arc<Deps>, idle: Duration, timeout: Duration, supervisor: SupervisorSlot) -> Self {
        let pool = Pool::new("cart session", idle, timeout, supervisor, move |user: &String| {
            (CartSession, (user.clone(), deps.clone()))
        });
        Self { pool }
    }

    pub async fn lines(&self, user: &str) -> Result<Vec<CartLine>, CommerceError> {
        self.pool.call(&user.to_owned(), CartMsg::Lines).await?
    }

    /// Adds copies of a book; more copies on the existing line when the book is already in the cart.
    pub async fn add(&self, user: &str, book_id: Uuid, quantity: Quantity) -> Result<CartLine, CommerceError> {
        self.pool.call(&user.to_owned(), |reply| CartMsg::Add { book_id, quantity, reply }).await?
    }

    pub async fn set(&self, user: &str, item_id: Uuid, quantity: Quantity) -> Result<CartLine, CommerceError> {
        self.pool.call(&user.to_owned(), |reply| CartMsg::Set { item_id, quantity, reply }).await?
    }

    pub async fn remove(&self, user: &str, item_id: Uuid) -> Result<(), CommerceError> {
        self.pool.call(&user.to_owned(), |reply| CartMsg::Remove { item_id, reply }).await?
    }

    pub async fn checkout(&self, user: &str, idempotency_key: Option<&str>) -> Result<CheckoutOutcome, CommerceError> {
        let key = idempotency_key.map(str::to_owned);
        self.pool.call(&user.to_owned(), |reply| CartMsg::Checkout { idempotency_key: key.clone(), reply }).await?
    }

    /// How many cart sessions are live in this process.
    pub fn live_sessions(&self) -> u64 {
        self.pool.live()
    }

    pub(crate) async fn passivate_idle(&self) {
        self.pool.passivate_idle().await;
    }

    /// Makes the shopper's live session panic (fault-injection tests).
    #[cfg(feature = "fault-injection")]
    pub async fn crash_session(&self, user: &str) -> bool {
        match self.pool.existing(&user.to_owned()).await {
            Some(actor) => actor.cast(CartMsg::Crash).is_ok(),
            None => false,
        }
    }
}
