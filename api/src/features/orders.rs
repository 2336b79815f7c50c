//! Orders after checkout, for their shopper and for admins: listing (by status, too), one order with its timeline,
//! the moves (ship, deliver, cancel) and their live events as Server-Sent Events. Handlers parse and answer;
//! [`bookstore_actors::Orders`] decides whether a move may happen and gives a cancelled order's stock back.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use bookstore_actors::{MoveError, Mover};
use bookstore_entities::repo::order::{HistoryEntry, OrderRecord};
use bookstore_entities::types::{Money, OrderStatus, Page};
use bookstore_materializer::events::{OrderEvent, OrderEventFeed};
use chrono::{DateTime, Utc};
use futures::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::watch;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::edge::error::{ApiError, InvalidParam, Problem};
use crate::edge::params::{IdPath, OptionalBody, QueryParams, page_request};
use crate::identity::auth::{Admin, Shopper};
use crate::runtime::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_orders))
        .routes(routes!(my_order))
        .routes(routes!(cancel_my_order))
        .routes(routes!(my_order_events))
        .routes(routes!(list_orders))
        .routes(routes!(get_order))
        .routes(routes!(ship_order))
        .routes(routes!(deliver_order))
        .routes(routes!(cancel_order))
        .routes(routes!(all_order_events))
}

/// Where this process hears of order moves (the outbox, through the in-process CDC reader or Kafka), and the
/// switch that ends every open stream when the server shuts down (streams never end by themselves, and a graceful
/// shutdown waits for open responses).
#[derive(Clone)]
pub struct OrderEvents {
    feed: Arc<dyn OrderEventFeed>,
    closing: watch::Sender<bool>,
}

impl OrderEvents {
    pub fn new(feed: Arc<dyn OrderEventFeed>) -> Self {
        Self { feed, closing: watch::Sender::new(false) }
    }

    /// Ends every open stream and refuses none: a stream opened later ends at once.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    fn subscribe(&self) -> broadcast::Receiver<OrderEvent> {
        self.feed.subscribe()
    }

    fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }
}

/// An order line at the price paid.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    pub book_id: Uuid,
    pub title: String,
    pub quantity: i32,
    pub price_at_purchase: Money,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: Uuid,
    pub user_id: String,
    pub total: Money,
    /// `CONFIRMED`, `SHIPPED`, `DELIVERED` or `CANCELLED`.
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub items: Vec<OrderItem>,
    /// Who carries the parcel, once shipped (when the admin said).
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    /// The statuses this order may still move to.
    pub next_statuses: Vec<String>,
    /// The order's life, oldest first: present on one order, left out of listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEntry>>,
}

/// One step of an order's life.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimelineEntry {
    pub status: String,
    pub at: DateTime<Utc>,
    /// Who moved it: the shopper's user id, an admin's; shown to the shopper as `shop` for an admin.
    pub by: String,
    /// The reason of a cancel, when one was given.
    pub note: Option<String>,
}

impl TryFrom<OrderRecord> for Order {
    type Error = ApiError;

    fn try_from(order: OrderRecord) -> Result<Self, ApiError> {
        let money =
            |amount| Money::new(amount).map_err(|e| ApiError::Internal(anyhow::anyhow!("order {}: {e}", order.id)));
        let next_statuses = order
            .status
            .parse::<OrderStatus>()
            .map(|s| s.next().iter().map(|n| n.as_str().to_owned()).collect())
            .unwrap_or_default();
        Ok(Self {
            id: order.id,
            total: money(order.total)?,
            status: order.status.clone(),
            created_at: order.created_at.with_timezone(&Utc),
            items: order
                .items
                .iter()
                .map(|i| {
                    Ok(OrderItem {
                        book_id: i.book_id,
                        title: i.title.clone(),
                        quantity: i.quantity,
                        price_at_purchase: money(i.price_at_purchase)?,
                    })
                })
                .collect::<Result<_, ApiError>>()?,
            user_id: order.user_id,
            carrier: order.carrier,
            tracking_number: order.tracking_number,
            next_statuses,
            timeline: None,
        })
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderPage {
    pub content: Vec<Order>,
    pub total_elements: u64,
    pub total_pages: u64,
    pub number: u32,
    pub size: u32,
}

fn order_page(page: Page<OrderRecord>) -> Result<OrderPage, ApiError> {
    Ok(OrderPage {
        total_elements: page.total,
        total_pages: page.total_pages(),
        number: page.request.page(),
        size: page.request.size(),
        content: page.items.into_iter().map(Order::try_from).collect::<Result<_, _>>()?,
    })
}

/// Who reads an order: its shopper sees admins as `shop`.
#[derive(Clone, Copy)]
enum Reader<'a> {
    Owner(&'a str),
    Admin,
}

/// The order with its timeline.
async fn with_timeline(state: &AppState, record: OrderRecord, reader: Reader<'_>) -> Result<Order, ApiError> {
    let history = state.orders.history(record.id).await?;
    let mut order = Order::try_from(record)?;
    order.timeline = Some(
        history
            .into_iter()
            .map(|HistoryEntry { status, at, actor, note }| TimelineEntry {
                status,
                at: at.with_timezone(&Utc),
                by: match reader {
                    Reader::Owner(owner) if actor != owner => "shop".to_owned(),
                    _ => actor,
                },
                note,
            })
            .collect(),
    );
    Ok(order)
}

/// `status`, when given: one of the order statuses.
fn status_filter(params: &QueryParams) -> Result<Option<OrderStatus>, ApiError> {
    params
        .get("status")
        .map(|raw| {
            raw.parse().map_err(|_| {
                ApiError::invalid_param("status", "must be one of PENDING, CONFIRMED, SHIPPED, DELIVERED, CANCELLED")
            })
        })
        .transpose()
}

impl From<MoveError> for ApiError {
    fn from(err: MoveError) -> Self {
        match err {
            MoveError::NotFound => ApiError::not_found("There is no such order."),
            MoveError::NotAllowed { current, allowed } => ApiError::OrderStatus {
                current: current.as_str(),
                allowed: allowed.iter().map(|s| s.as_str()).collect(),
            },
            MoveError::Commerce(err) => err.into(),
        }
    }
}

/// How long a reason or a shipment detail may be.
const NOTE_CHARS: usize = 500;
const SHIPMENT_CHARS: usize = 100;

/// A text field of a move: trimmed, empty means absent, at most `max` characters, no NUL.
fn note(name: &str, value: Option<&str>, max: usize, problems: &mut Vec<InvalidParam>) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    let reason = if value.chars().count() > max {
        format!("must be at most {max} characters")
    } else if value.contains('\0') {
        "must not hold NUL characters".to_owned()
    } else {
        return Some(value.to_owned());
    };
    problems.push(InvalidParam { name: name.to_owned(), reason });
    None
}

fn checked<T>(problems: Vec<InvalidParam>, value: T) -> Result<T, ApiError> {
    if problems.is_empty() { Ok(value) } else { Err(ApiError::Validation(problems)) }
}

/// A cancel's optional reason.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Why (at most 500 characters).
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// A shipment's details, when the admin has them.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShipRequest {
    #[schema(max_length = 100)]
    pub carrier: Option<String>,
    #[schema(max_length = 100)]
    pub tracking_number: Option<String>,
}

// ---- the shopper's orders ----

/// The shopper's orders, newest first; only those in `status` when it is given.
#[utoipa::path(get, path = "/ecom/orders", tag = "orders", security(("bearer" = [])),
    params(("page" = Option<u32>, Query), ("size" = Option<u32>, Query), ("status" = Option<String>, Query)),
    responses((status = 200, body = OrderPage)))]
pub async fn my_orders(
    State(state): State<AppState>,
    Shopper(user): Shopper,
    params: QueryParams,
) -> Result<Json<OrderPage>, ApiError> {
    let (status, request) = (status_filter(&params)?, page_request(&params)?);
    Ok(Json(order_page(state.orders.page_in(Some(&user.id), status, request).await?)?))
}

/// One of the shopper's orders with its timeline; another shopper's order is 404.
#[utoipa::path(get, path = "/ecom/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Order), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn my_order(
    State(state): State<AppState>,
    Shopper(user): Shopper,
    IdPath(id): IdPath,
) -> Result<Json<Order>, ApiError> {
    let order = own_order(&state, &user.id, id).await?;
    Ok(Json(with_timeline(&state, order, Reader::Owner(&user.id)).await?))
}

async fn own_order(state: &AppState, user: &str, id: Uuid) -> Result<OrderRecord, ApiError> {
    match state.orders.get(id).await? {
        Some(order) if order.user_id == user => Ok(order),
        _ => Err(ApiError::not_found(format!("You have no order {id}."))),
    }
}

/// Cancels one of the shopper's orders while it has not shipped; its books go back to stock. Cancelling a
/// cancelled order answers it as it is (safe to retry).
#[utoipa::path(post, path = "/ecom/orders/{id}/cancel", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content = CancelRequest, description = "Optional"),
    responses((status = 200, body = Order),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "The order's status does not allow it: `currentStatus`, `allowedStatuses`",
            content_type = "application/problem+json")))]
pub async fn cancel_my_order(
    State(state): State<AppState>,
    Shopper(user): Shopper,
    IdPath(id): IdPath,
    OptionalBody(body): OptionalBody<CancelRequest>,
) -> Result<Json<Order>, ApiError> {
    let mut problems = Vec::new();
    let reason = note("reason", body.reason.as_deref(), NOTE_CHARS, &mut problems);
    let reason = checked(problems, reason)?;
    let order = state.commerce.orders().cancel(id, Mover::Shopper(&user.id), reason.as_deref()).await?;
    tracing::info!(target: "audit", who = user.display(), action = "order.cancel", order = %id);
    Ok(Json(with_timeline(&state, order, Reader::Owner(&user.id)).await?))
}

/// The shopper's order as it moves: one event per move, as Server-Sent Events (see [`stream`]).
#[utoipa::path(get, path = "/ecom/orders/{id}/events", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "text/event-stream", body = String,
            description = "`ready` once subscribed, then an `order.shipped`, `order.delivered`, `order.cancelled` … event per move"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn my_order_events(
    State(state): State<AppState>,
    Shopper(user): Shopper,
    IdPath(id): IdPath,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    own_order(&state, &user.id, id).await?;
    Ok(stream(&state.order_events, Some(id)))
}

// ---- every order (admin) ----

/// Every order, newest first, with its lines; only those in `status` when it is given.
#[utoipa::path(get, path = "/ecom/admin/orders", tag = "admin", security(("bearer" = [])),
    params(("page" = Option<u32>, Query), ("size" = Option<u32>, Query), ("status" = Option<String>, Query)),
    responses((status = 200, body = OrderPage)))]
pub async fn list_orders(
    State(state): State<AppState>,
    _admin: Admin,
    params: QueryParams,
) -> Result<Json<OrderPage>, ApiError> {
    let (status, request) = (status_filter(&params)?, page_request(&params)?);
    Ok(Json(order_page(state.orders.page_in(None, status, request).await?)?))
}

/// One order with its timeline.
#[utoipa::path(get, path = "/ecom/admin/orders/{id}", tag = "admin", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Order), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_order(
    State(state): State<AppState>,
    _admin: Admin,
    IdPath(id): IdPath,
) -> Result<Json<Order>, ApiError> {
    let order = state.orders.get(id).await?.ok_or_else(|| ApiError::not_found(format!("There is no order {id}.")))?;
    Ok(Json(with_timeline(&state, order, Reader::Admin).await?))
}

/// CONFIRMED → SHIPPED, with the carrier and tracking number when known.
#[utoipa::path(post, path = "/ecom/admin/orders/{id}/ship", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content = ShipRequest, description = "Optional"),
    responses((status = 200, body = Order),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "The order's status does not allow it: `currentStatus`, `allowedStatuses`",
            content_type = "application/problem+json")))]
pub async fn ship_order(
    State(state): State<AppState>,
    Admin(admin): Admin,
    IdPath(id): IdPath,
    OptionalBody(body): OptionalBody<ShipRequest>,
) -> Result<Json<Order>, ApiError> {
    let mut problems = Vec::new();
    let carrier = note("carrier", body.carrier.as_deref(), SHIPMENT_CHARS, &mut problems);
    let tracking = note("trackingNumber", body.tracking_number.as_deref(), SHIPMENT_CHARS, &mut problems);
    let (carrier, tracking) = checked(problems, (carrier, tracking))?;
    let order = state.commerce.orders().ship(id, &admin.id, carrier.as_deref(), tracking.as_deref()).await?;
    tracing::info!(target: "audit", who = admin.display(), action = "order.ship", order = %id, ?carrier, ?tracking);
    Ok(Json(with_timeline(&state, order, Reader::Admin).await?))
}

/// SHIPPED → DELIVERED.
#[utoipa::path(post, path = "/ecom/admin/orders/{id}/deliver", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Order),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "The order's status does not allow it: `currentStatus`, `allowedStatuses`",
            content_type = "application/problem+json")))]
pub async fn deliver_order(
    State(state): State<AppState>,
    Admin(admin): Admin,
    IdPath(id): IdPath,
) -> Result<Json<Order>, ApiError> {
    let order = state.commerce.orders().deliver(id, &admin.id).await?;
    tracing::info!(target: "audit", who = admin.display(), action = "order.deliver", order = %id);
    Ok(Json(with_timeline(&state, order, Reader::Admin).await?))
}

/// CONFIRMED → CANCELLED, with the reason given to the shopper; the books go back to stock.
#[utoipa::path(post, path = "/ecom/admin/orders/{id}/cancel", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body(content = CancelRequest, description = "Optional"),
    responses((status = 200, body = Order),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "The order's status does not allow it: `currentStatus`, `allowedStatuses`",
            content_type = "application/problem+json")))]
pub async fn cancel_order(
    State(state): State<AppState>,
    Admin(admin): Admin,
    IdPath(id): IdPath,
    OptionalBody(body): OptionalBody<CancelRequest>,
) -> Result<Json<Order>, ApiError> {
    let mut problems = Vec::new();
    let reason = note("reason", body.reason.as_deref(), NOTE_CHARS, &mut problems);
    let reason = checked(problems, reason)?;
    let order = state.commerce.orders().cancel(id, Mover::Admin(&admin.id), reason.as_deref()).await?;
    tracing::info!(target: "audit", who = admin.display(), action = "order.cancel", order = %id, ?reason);
    Ok(Json(with_timeline(&state, order, Reader::Admin).await?))
}

/// Every order's events as they happen (the admin console's live view), as Server-Sent Events (see [`stream`]).
#[utoipa::path(get, path = "/ecom/admin/events", tag = "admin", security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", body = String,
        description = "`ready` once subscribed, then an `order.created`, `order.shipped` … event per order move")))]
pub async fn all_order_events(
    State(state): State<AppState>,
    _admin: Admin,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    stream(&state.order_events, None)
}

/// The events of one order (`Some`) or of all, as Server-Sent Events: first `ready` (subscribed: what happens from
/// now on will come, so a client reloads what it shows once), then one event per order move, named by its type
/// (`order.created`, `order.shipped`, …), with the outbox row's id as the SSE `id` and
/// `{orderId, userId, status, at, …}` as data. A client that fell too far behind gets `resync` (reload, events were
/// missed). Delivery is at least once: an event may come twice, with the same id. The stream ends when the server
/// shuts down; a comment every 15 s keeps proxies from closing it.
fn stream(events: &OrderEvents, order: Option<Uuid>) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    let receiver = events.subscribe();
    let closing = events.closing();
    let ready = futures::stream::once(async { Ok(Event::default().event("ready").data("{}")) });
    let events = futures::stream::unfold((receiver, closing), move |(mut receiver, mut closing)| async move {
        loop {
            let received = tokio::select! {
                received = receiver.recv() => received,
                _ = closing.wait_for(|closed| *closed) => return None,
            };
            let event = match received {
                Ok(event) if order.is_none_or(|id| id == event.order_id) => sse_event(&event, order.is_some()),
                Ok(_) => continue,
                Err(RecvError::Lagged(missed)) => {
                    Event::default().event("resync").data(format!("{{\"missed\":{missed}}}"))
                }
                Err(RecvError::Closed) => return None,
            };
            return Some((Ok(event), (receiver, closing)));
        }
    });
    use futures::StreamExt as _;
    Sse::new(ready.chain(events)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// The event as SSE; for the shopper's stream (`for_owner`) without who moved it (admins stay anonymous).
fn sse_event(event: &OrderEvent, for_owner: bool) -> Event {
    let mut data = event.payload.clone();
    if let Some(fields) = data.as_object_mut() {
        fields.entry("orderId").or_insert_with(|| event.order_id.to_string().into());
        fields.insert("type".to_owned(), event.event_type.clone().into());
        if for_owner {
            fields.remove("actor");
        }
    }
    Event::default().event(&event.event_type).id(event.id.to_string()).data(data.to_string())
}
