//! One CartSession actor per shopper: it is the shopper's single writer in this process, writes every change
//! through to `cart_items`, and runs the shopper's checkouts one at a time.
//!
//! Several processes (replicas behind a gateway without affinity) may each have a session for one shopper. The
//! database holds the cart: a read answers what `cart_items` holds now, on whichever replica it lands. The copy a
//! session keeps is what its next checkout starts from (saving a read per checkout, ADR 010); a change made through
//! another process marks it stale (PostgreSQL `NOTIFY cart_changed`, [`Carts::follow_changes`]), and a stale copy is
//! read again before a checkout uses it. Should a notification arrive late, the order statement still refuses a
//! cart that changed and the checkout starts over from the database (ADR 005).

use std::sync::Arc;
use std::time::Duration;

use bookstore_entities::repo::cart::{AddError, CartLine};
use bookstore_entities::types::Quantity;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use sea_orm::sqlx::postgres::PgListener;
use uuid::Uuid;

use crate::checkout::{self, CheckoutOutcome};
use crate::commerce::Deps;
use crate::error::CommerceError;
use crate::pool::{Pool, SupervisorSlot};

pub(crate) struct CartSession;

pub(crate) struct CartState {
    user: String,
    /// The cart as this session last wrote or read it: where its next checkout starts.
    lines: Vec<CartLine>,
    /// Another process changed the cart since `lines` was read (or a notification may have been missed).
    stale: bool,
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
    /// Another process changed this cart: read it again before a checkout starts from the copy.
    Stale,
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
        Ok(CartState { user, lines, stale: false, deps })
    }

    async fn handle(
        &self,
        _myself: ActorRef<CartMsg>,
        message: CartMsg,
        state: &mut CartState,
    ) -> Result<(), ActorProcessingErr> {
        // Errors go back to the caller; the actor itself only dies of a panic.
        match message {
            // What the shopper sees is the database's cart, whichever process changed it last.
            CartMsg::Lines(reply) => {
                let result = match Box::pin(state.deps.carts.lines(&state.user)).await {
                    Ok(lines) => {
                        state.lines.clone_from(&lines);
                        state.stale = false;
                        Ok(lines)
                    }
                    Err(err) => Err(err.into()),
                };
                let _ = reply.send(result);
            }
            CartMsg::Stale => state.stale = true,
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
                if state.stale {
                    match Box::pin(state.deps.carts.lines(&state.user)).await {
                        Ok(lines) => {
                            state.lines = lines;
                            state.stale = false;
                        }
                        Err(err) => {
                            let _ = reply.send(Err(err.into()));
                            return Ok(());
                        }
                    }
                }
                // Boxed: the saga's future is large, and an actor's task is as big as the biggest future it awaits
                // inline — paid by every idle shopper's actor.
                let mut result = Box::pin(checkout::run(&state.deps, &state.user, key, &state.lines)).await;
                // The copy in memory may miss what another replica did to this cart (or an empty copy may be out
                // of date): start over once from the cart as the database holds it.
                if matches!(result, Err(CommerceError::CartChanged | CommerceError::EmptyCart)) {
                    result = match Box::pin(state.deps.carts.lines(&state.user)).await {
                        Ok(lines) => {
                            state.lines = lines;
                            state.stale = false;
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
                            state.stale = false;
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

    /// Follows `cart_changed` notifications of the ecom database until the task is dropped, marking the copies of
    /// carts that another process changed stale. `origin` is this application's `application_name` on the ecom
    /// database: its own changes are already in its copies. Reconnects on its own; a lost connection may have
    /// hidden a change, so every live copy is marked stale after each reconnect.
    pub async fn follow_changes(self, mut listener: PgListener, origin: String) {
        if let Err(err) = listener.listen("cart_changed").await {
            tracing::error!(error = %err, "cannot listen for cart changes; checkouts verify the cart instead");
            return;
        }
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    let (user, from) = notification.payload().split_once('\t').unwrap_or((notification.payload(), ""));
                    if from == origin {
                        continue;
                    }
                    if user.is_empty() {
                        self.pool.tell_all(|| CartMsg::Stale);
                    } else {
                        self.pool.tell_live(&user.to_owned(), CartMsg::Stale).await;
                    }
                }
                Ok(None) => {
                    tracing::warn!("cart change listener reconnected; every cart copy will be read again");
                    self.pool.tell_all(|| CartMsg::Stale);
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cart change listener failed; retrying");
                    self.pool.tell_all(|| CartMsg::Stale);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
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
