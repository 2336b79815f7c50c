//! The shopper's endpoints: the cart and checkout (orders after checkout: `crate::features::orders`). Handlers parse and answer; the shopper's
//! CartSession actor (through [`bookstore_actors::Commerce`]) owns the cart and runs the checkout.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bookstore_actors::CheckoutOutcome;
use bookstore_entities::repo::cart::CartLine;
use bookstore_entities::types::Quantity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::edge::error::{ApiError, Problem};
use crate::edge::params::{Body, IdPath};
use crate::features::catalog::Book;
use crate::features::orders::Order;
use crate::identity::auth::Shopper;
use crate::runtime::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_cart, add_to_cart))
        .routes(routes!(set_cart_item, remove_cart_item))
        .routes(routes!(checkout))
}

/// A cart line with the book it holds.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CartItem {
    pub id: Uuid,
    /// The shopper whose cart this is (the token's `sub`).
    pub user_id: String,
    pub book_id: Uuid,
    pub book: Book,
    pub quantity: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddToCart {
    #[serde(deserialize_with = "crate::edge::params::uuid_field")]
    pub book_id: Uuid,
    /// 1 to 99 (default 1).
    #[serde(default = "one", deserialize_with = "crate::edge::params::quantity_field")]
    pub quantity: Quantity,
}

fn one() -> Quantity {
    Quantity::new(1).unwrap_or_else(|_| unreachable!("1 is a valid quantity"))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetQuantity {
    /// 1 to 99.
    #[serde(deserialize_with = "crate::edge::params::quantity_field")]
    pub quantity: Quantity,
}

async fn cart_items(state: &AppState, user: &str, lines: Vec<CartLine>) -> Result<Vec<CartItem>, ApiError> {
    let ids: Vec<Uuid> = lines.iter().map(|l| l.book_id).collect();
    let mut books = state.cache.books(&state.catalog, &ids).await?;
    Ok(lines
        .into_iter()
        .filter_map(|line| {
            // A line whose book was deleted meanwhile disappears with it (ON DELETE CASCADE).
            let book = books.remove(&line.book_id)?;
            Some(CartItem {
                id: line.id,
                user_id: user.to_owned(),
                book_id: line.book_id,
                book,
                quantity: line.quantity,
                created_at: line.created_at.with_timezone(&Utc),
            })
        })
        .collect())
}

/// The shopper's cart.
#[utoipa::path(get, path = "/ecom/cart", tag = "cart", security(("bearer" = [])),
    responses((status = 200, body = Vec<CartItem>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn get_cart(State(state): State<AppState>, Shopper(user): Shopper) -> Result<Json<Vec<CartItem>>, ApiError> {
    let lines = state.commerce.carts().lines(&user.id).await?;
    Ok(Json(cart_items(&state, &user.id, lines).await?))
}

/// Adds copies of a book: 201 with `Location` when it starts a new line, 200 when it adds to the line the book
/// already has.
#[utoipa::path(post, path = "/ecom/cart", tag = "cart", security(("bearer" = [])), request_body = AddToCart,
    responses(
        (status = 201, body = CartItem, description = "A new line", headers(("Location" = String, description = "The new line"))),
        (status = 200, body = CartItem, description = "More copies on the book's line"),
        (status = 404, body = Problem, description = "No such book", content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "The line would hold more than 99 copies", content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add_to_cart(
    State(state): State<AppState>,
    Shopper(user): Shopper,
    Body(request): Body<AddToCart>,
) -> Result<Response, ApiError> {
    let line = state.commerce.carts().add(&user.id, request.book_id, request.quantity).await?;
    // The add is one upsert that adds to the book's line when there is one, which holds at least one copy: a line
    // holding exactly the copies asked for is a new one.
    let created = line.quantity == request.quantity.get();
    let item = cart_items(&state, &user.id, vec![line])
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found(format!("There is no book {}.", request.book_id)))?;
    if !created {
        return Ok(Json(item).into_response());
    }
    let location =
        HeaderValue::from_str(&format!("/ecom/cart/{}", item.id)).map_err(|e| ApiError::Internal(e.into()))?;
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(item)).into_response())
}

/// Sets how many copies a cart line holds.
#[utoipa::path(put, path = "/ecom/cart/{itemId}", tag = "cart", security(("bearer" = [])), request_body = SetQuantity,
    params(("itemId" = Uuid, Path, description = "The cart line's id")),
    responses(
        (status = 200, body = CartItem),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_cart_item(
    State(state): State<AppState>,
    Shopper(user): Shopper,
    IdPath(item_id): IdPath,
    Body(request): Body<SetQuantity>,
) -> Result<Json<CartItem>, ApiError> {
    let line = state.commerce.carts().set(&user.id, item_id, request.quantity).await?;
    let item = cart_items(&state, &user.id, vec![line])
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("There is no such item in your cart."))?;
    Ok(Json(item))
}

/// Removes a cart line.
#[utoipa::path(delete, path = "/ecom/cart/{itemId}", tag = "cart", security(("bearer" = [])),
    params(("itemId" = Uuid, Path, description = "The cart line's id")),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn remove_cart_item(
    State(state): State<AppState>,
    Shopper(user): Shopper,
    IdPath(item_id): IdPath,
) -> Result<StatusCode, ApiError> {
    state.commerce.carts().remove(&user.id, item_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The header a client sets so a retried checkout returns the first order instead of making a second.
const IDEMPOTENCY_KEY: &str = "idempotency-key";

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else { return Ok(None) };
    let key = value.to_str().map_err(|_| ApiError::invalid_param("Idempotency-Key", "must be visible ASCII"))?;
    if key.is_empty() || key.len() > 64 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::invalid_param("Idempotency-Key", "must be 1 to 64 visible ASCII characters"));
    }
    Ok(Some(key.to_owned()))
}

/// Buys everything in the cart: 201 with the new order, or 200 with the order an earlier request with the same
/// `Idempotency-Key` made.
#[utoipa::path(post, path = "/ecom/checkout", tag = "orders", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 64, pattern = "^[!-~]+$",
        description = "1 to 64 visible ASCII characters; a retry with the same key returns the same order")),
    responses(
        (status = 201, body = Order, headers(("Location" = String, description = "The new order"))),
        (status = 200, body = Order, description = "Replay of an earlier checkout with the same key"),
        (status = 409, body = Problem, description = "The cart is empty, holds more than the stock (the problem lists the books) or changed meanwhile", content_type = "application/problem+json"),
        (status = 422, body = Problem, description = "A malformed Idempotency-Key", content_type = "application/problem+json"),
        (status = 503, body = Problem, description = "Inventory unavailable; nothing was charged", content_type = "application/problem+json"),
    ))]
pub async fn checkout(
    State(state): State<AppState>,
    Shopper(user): Shopper,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let (status, order) = match state.commerce.carts().checkout(&user.id, key.as_deref()).await? {
        CheckoutOutcome::Created(order) => (StatusCode::CREATED, order),
        CheckoutOutcome::Replayed(order) => (StatusCode::OK, order),
    };
    let order = Order::try_from(order)?;
    let location =
        HeaderValue::from_str(&format!("/ecom/orders/{}", order.id)).map_err(|e| ApiError::Internal(e.into()))?;
    Ok((status, [(header::LOCATION, location)], Json(order)).into_response())
}
