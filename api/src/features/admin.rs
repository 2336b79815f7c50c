//! The admin console (role `admin`): books and stock (orders: `crate::features::orders`). Every write leaves an `audit` log line saying who
//! did what, with the record before and after.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bookstore_entities::repo::catalog::{BookInput, DeleteError, WriteError};
use bookstore_entities::repo::stock::StockChange;
use bookstore_entities::types::{Isbn, Money, PageRequest};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::edge::error::{ApiError, InvalidParam, Problem};
use crate::edge::params::{Body, IdPath, QueryParams, page_request};
use crate::features::catalog::{Book, BookPage};
use crate::features::stock::StockLevel;
use crate::identity::auth::Admin;
use crate::runtime::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_books, create_book))
        .routes(routes!(get_book, update_book, delete_book))
        .routes(routes!(list_stock))
        .routes(routes!(set_stock))
        .routes(routes!(adjust_stock))
}

/// A book as an admin sends it. Every field is checked and every problem reported at once. The OpenAPI document
/// has two shapes of it (`NewBook`, `BookEdit`), with the limits below (`crate::edge::openapi`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BookRequest {
    #[schema(value_type = String)]
    pub title: Option<String>,
    #[schema(value_type = String)]
    pub author: Option<String>,
    #[schema(value_type = f64, minimum = 0, maximum = 99999999, multiple_of = 0.01)]
    pub price: Option<Decimal>,
    pub description: Option<String>,
    pub cover_url: Option<String>,
    /// ISBN-10 or ISBN-13 with a valid check digit, hyphens allowed, at most 17 characters. Required on create; an
    /// edit without it keeps the book's (`null` is refused: it is no ISBN).
    #[serde(default, deserialize_with = "crate::edge::params::present")]
    pub isbn: Option<String>,
    pub genre: Option<String>,
    #[serde(default, deserialize_with = "crate::edge::params::optional_whole_number")]
    pub published_year: Option<i32>,
    /// Units in stock for a new book; only on create.
    #[schema(minimum = 0, maximum = 1000000)]
    #[serde(default, deserialize_with = "crate::edge::params::optional_whole_number")]
    pub initial_stock: Option<i64>,
}

/// A text field of a book: its name in the body, the most characters it may be sent with, and whether it must hold
/// something besides white space. The checks and the OpenAPI document both read these.
pub struct TextField {
    pub name: &'static str,
    pub max: usize,
    pub required: bool,
}

pub const TITLE: TextField = TextField { name: "title", max: 300, required: true };
pub const AUTHOR: TextField = TextField { name: "author", max: 300, required: true };
pub const DESCRIPTION: TextField = TextField { name: "description", max: 10_000, required: false };
pub const GENRE: TextField = TextField { name: "genre", max: 100, required: false };
pub const COVER_URL: TextField = TextField { name: "coverUrl", max: 2_000, required: false };
/// Required on create, but an edit may leave it out: the checks see the book's own then.
pub const ISBN: TextField = TextField { name: "isbn", max: 17, required: true };
pub const TEXT_FIELDS: [TextField; 6] = [TITLE, AUTHOR, DESCRIPTION, GENRE, COVER_URL, ISBN];

const MAX_PRICE: Decimal = Decimal::from_parts(99_999_999, 0, 0, false, 0);
const MAX_INITIAL_STOCK: i64 = 1_000_000;

/// `http(s)://`, a host name or address of letters, digits, dots and hyphens, an optional port of up to five
/// digits, then optionally a path, query or fragment without white space or NUL. The OpenAPI document states the
/// same rule as a pattern (`crate::edge::openapi`).
fn is_web_url(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("http://").or_else(|| text.strip_prefix("https://")) else { return false };
    let host_end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-')).unwrap_or(rest.len());
    let (host, rest) = rest.split_at(host_end);
    let rest = match rest.strip_prefix(':') {
        Some(port) => {
            let digits = port.find(|c: char| !c.is_ascii_digit()).unwrap_or(port.len());
            if !(1..=5).contains(&digits) {
                return false;
            }
            &port[digits..]
        }
        None => rest,
    };
    let tail_ok =
        rest.is_empty() || (rest.starts_with(['/', '?', '#']) && !rest.chars().any(|c| c.is_whitespace() || c == '\0'));
    !host.is_empty() && tail_ok
}

/// Collects every problem with a request instead of stopping at the first.
#[derive(Default)]
struct Checks(Vec<InvalidParam>);

impl Checks {
    fn fail(&mut self, name: &str, reason: impl Into<String>) {
        self.0.push(InvalidParam { name: name.to_owned(), reason: reason.into() });
    }

    /// A text field as sent (at most `field.max` characters, something besides white space when required, no NUL
    /// character, which PostgreSQL text cannot hold), trimmed.
    fn text(&mut self, field: &TextField, value: Option<String>) -> String {
        let sent = value.unwrap_or_default();
        let trimmed = sent.trim();
        if field.required && trimmed.is_empty() {
            self.fail(field.name, "is required");
        } else if sent.chars().count() > field.max {
            self.fail(field.name, format!("must be at most {} characters", field.max));
        } else if sent.contains('\0') {
            self.fail(field.name, "must not contain NUL characters");
        }
        trimmed.to_owned()
    }
}

impl BookRequest {
    fn validate(self, creating: bool) -> Result<(BookInput, i32), ApiError> {
        let mut checks = Checks::default();
        let title = checks.text(&TITLE, self.title);
        let author = checks.text(&AUTHOR, self.author);
        let description = checks.text(&DESCRIPTION, self.description);
        let genre = checks.text(&GENRE, self.genre);
        let cover_url = checks.text(&COVER_URL, self.cover_url);
        if !cover_url.is_empty() && !is_web_url(&cover_url) {
            checks.fail("coverUrl", "must be an http(s) URL (http://host[:port][/…])");
        }
        let isbn_text = checks.text(&ISBN, self.isbn);
        let isbn = match Isbn::parse(&isbn_text) {
            Ok(isbn) => isbn.as_str().to_owned(),
            Err(err) if !isbn_text.is_empty() => {
                checks.fail("isbn", err.to_string());
                String::new()
            }
            Err(_) => String::new(),
        };
        let price = match self.price.map(Money::new) {
            None => {
                checks.fail("price", "is required");
                Decimal::ZERO
            }
            Some(Err(err)) => {
                checks.fail("price", err.to_string());
                Decimal::ZERO
            }
            Some(Ok(money)) if money.amount() > MAX_PRICE => {
                checks.fail("price", "must be at most 99 999 999");
                Decimal::ZERO
            }
            Some(Ok(money)) => money.amount(),
        };
        let (first_year, latest_year) = (crate::edge::openapi::FIRST_YEAR, crate::edge::openapi::latest_year());
        if let Some(year) = self.published_year
            && !(first_year..=latest_year).contains(&year)
        {
            checks.fail("publishedYear", format!("must be between {first_year} and {latest_year}"));
        }
        let initial_stock = match (creating, self.initial_stock) {
            (_, None) => 0,
            (true, Some(units)) if (0..=MAX_INITIAL_STOCK).contains(&units) => units as i32,
            (true, Some(_)) => {
                checks.fail("initialStock", format!("must be between 0 and {MAX_INITIAL_STOCK}"));
                0
            }
            (false, Some(_)) => {
                checks.fail("initialStock", "can only be given on create; change stock with the stock endpoints");
                0
            }
        };
        if !checks.0.is_empty() {
            return Err(ApiError::Validation(checks.0));
        }
        let cover_url = if cover_url.is_empty() { None } else { Some(cover_url) };
        let input = BookInput {
            title,
            author,
            price,
            description,
            cover_url,
            isbn,
            genre,
            published_year: self.published_year,
        };
        Ok((input, initial_stock))
    }
}

fn write_error(err: WriteError) -> ApiError {
    match err {
        WriteError::DuplicateIsbn => ApiError::Duplicate(vec![InvalidParam {
            name: "isbn".to_owned(),
            reason: "is already used by another book".to_owned(),
        }]),
        WriteError::Db(err) => err.into(),
    }
}

/// All books, a page at a time, sorted as the catalog can be (read fresh, not from the catalog's cache).
#[utoipa::path(get, path = "/ecom/admin/books", tag = "admin", operation_id = "admin_list_books", security(("bearer" = [])),
    params(("page" = Option<u32>, Query), ("size" = Option<u32>, Query),
        ("sort" = Option<String>, Query, description = "title, author, price, publishedYear or createdAt, optionally `,desc`")),
    responses(
        (status = 200, body = BookPage),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_books(
    State(state): State<AppState>,
    _admin: Admin,
    params: QueryParams,
) -> Result<Json<BookPage>, ApiError> {
    let sort = crate::features::catalog::sort_param(&params)?;
    let page = state.catalog.list(sort, page_request(&params)?).await?;
    Ok(Json(BookPage::try_from(page)?))
}

/// Adds a book and its stock row (`initialStock` units).
#[utoipa::path(post, path = "/ecom/admin/books", tag = "admin", security(("bearer" = [])), request_body = BookRequest,
    responses(
        (status = 201, body = Book, headers(("Location" = String, description = "The new book"))),
        (status = 409, body = Problem, description = "The ISBN is another book's", content_type = "application/problem+json"),
        (status = 422, body = Problem, description = "Each invalid field is listed", content_type = "application/problem+json"),
    ))]
pub async fn create_book(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Body(request): Body<BookRequest>,
) -> Result<Response, ApiError> {
    let (input, initial_stock) = request.validate(true)?;
    let book = state.catalog.create(input).await.map_err(write_error)?;
    if let Err(err) = state.stock.create(book.id, initial_stock).await {
        // No book without a stock row (an upstream bug): undo the book.
        tracing::error!(book = %book.id, error = %err, "creating the stock row failed; removing the new book");
        let _ = state.catalog.delete(book.id).await;
        state.cache.invalidate();
        return Err(err.into());
    }
    state.cache.invalidate();
    tracing::info!(target: "audit", who = admin.display(), action = "book.create", book = %book.id, after = ?book, initial_stock);
    let location =
        HeaderValue::from_str(&format!("/ecom/admin/books/{}", book.id)).map_err(|e| ApiError::Internal(e.into()))?;
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(Book::try_from(book)?)).into_response())
}

#[utoipa::path(get, path = "/ecom/admin/books/{id}", tag = "admin", operation_id = "admin_get_book", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = Book), (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_book(
    State(state): State<AppState>,
    _admin: Admin,
    IdPath(id): IdPath,
) -> Result<Json<Book>, ApiError> {
    let book = state.catalog.get(id).await?.ok_or_else(|| ApiError::not_found(format!("There is no book {id}.")))?;
    Ok(Json(Book::try_from(book)?))
}

/// Replaces a book's fields.
#[utoipa::path(put, path = "/ecom/admin/books/{id}", tag = "admin", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = BookRequest,
    responses(
        (status = 200, body = Book),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "The ISBN is another book's", content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_book(
    State(state): State<AppState>,
    Admin(admin): Admin,
    IdPath(id): IdPath,
    Body(mut request): Body<BookRequest>,
) -> Result<Json<Book>, ApiError> {
    if request.isbn.is_none() {
        // Upstream's clients may leave the ISBN out of an edit: the book keeps the one it has.
        let current =
            state.catalog.get(id).await?.ok_or_else(|| ApiError::not_found(format!("There is no book {id}.")))?;
        request.isbn = Some(current.isbn);
    }
    let (input, _) = request.validate(false)?;
    let (before, after) = state
        .catalog
        .update(id, input)
        .await
        .map_err(write_error)?
        .ok_or_else(|| ApiError::not_found(format!("There is no book {id}.")))?;
    state.cache.invalidate();
    tracing::info!(target: "audit", who = admin.display(), action = "book.update", book = %id, ?before, ?after);
    Ok(Json(Book::try_from(after)?))
}

/// Deletes a book that was never ordered (and its stock row). A book with orders is 409.
#[utoipa::path(delete, path = "/ecom/admin/books/{id}", tag = "admin", security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses(
        (status = 204),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "The book has orders", content_type = "application/problem+json"),
    ))]
pub async fn delete_book(
    State(state): State<AppState>,
    Admin(admin): Admin,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    let book = match state.catalog.delete(id).await {
        Ok(Some(book)) => book,
        Ok(None) => return Err(ApiError::not_found(format!("There is no book {id}."))),
        Err(DeleteError::HasOrders) => {
            return Err(ApiError::Conflict("This book has orders, so it cannot be deleted.".to_owned()));
        }
        Err(DeleteError::Db(err)) => return Err(err.into()),
    };
    state.cache.invalidate();
    if let Err(err) = state.stock.delete(id).await {
        tracing::warn!(book = %id, error = %err, "the book is gone but its stock row could not be removed");
    }
    tracing::info!(target: "audit", who = admin.display(), action = "book.delete", book = %id, before = ?book);
    Ok(StatusCode::NO_CONTENT)
}

/// Stock rows a page at a time, as a JSON array (upstream's clients read it as one); the paging travels in headers:
/// `X-Total-Count` (rows in all) and `Link` (`first`, `prev`, `next`, `last`).
#[utoipa::path(get, path = "/inven/admin/stock", tag = "admin", security(("bearer" = [])),
    params(("page" = Option<u32>, Query), ("size" = Option<u32>, Query)),
    responses((status = 200, body = Vec<StockLevel>, headers(
        ("X-Total-Count" = u64, description = "Stock rows in all"),
        ("Link" = String, description = "RFC 8288 links to the first, previous, next and last pages"),
    ))))]
pub async fn list_stock(
    State(state): State<AppState>,
    _admin: Admin,
    params: QueryParams,
) -> Result<Response, ApiError> {
    let page = state.stock.page(page_request(&params)?).await?;
    let headers = paging_headers("/inven/admin/stock", page.request, page.total)?;
    Ok((headers, Json(page.items.into_iter().map(StockLevel::from).collect::<Vec<_>>())).into_response())
}

/// `X-Total-Count` and an RFC 8288 `Link` header for a listing answered as a bare array.
fn paging_headers(path: &str, request: PageRequest, total: u64) -> Result<HeaderMap, ApiError> {
    let (page, size) = (u64::from(request.page()), u64::from(request.size()));
    let last = total.div_ceil(size).saturating_sub(1);
    let link = |rel: &str, to: u64| format!("<{path}?page={to}&size={size}>; rel=\"{rel}\"");
    let mut links = vec![link("first", 0)];
    if page > 0 {
        links.push(link("prev", page.min(last + 1) - 1));
    }
    if page < last {
        links.push(link("next", page + 1));
    }
    links.push(link("last", last));
    let mut headers = HeaderMap::new();
    let value = |text: String| HeaderValue::from_str(&text).map_err(|e| ApiError::Internal(e.into()));
    headers.insert(HeaderName::from_static("x-total-count"), value(total.to_string())?);
    headers.insert(header::LINK, value(links.join(", "))?);
    Ok(headers)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetStock {
    /// Units on hand, at least what checkouts currently hold.
    #[schema(minimum = 0, maximum = 2147483647)]
    #[serde(deserialize_with = "crate::edge::params::whole_number")]
    pub quantity: i32,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustStock {
    /// Units to add (negative removes).
    #[schema(minimum = -2147483648, maximum = 2147483647)]
    #[serde(deserialize_with = "crate::edge::params::whole_number")]
    pub delta: i32,
}

fn stock_change(
    admin: &crate::identity::auth::User,
    action: &str,
    book_id: Uuid,
    change: StockChange,
) -> Result<Json<StockLevel>, ApiError> {
    match change {
        StockChange::Changed { before, after } => {
            tracing::info!(target: "audit", who = admin.display(), action, book = %book_id,
                before_quantity = before.quantity, after_quantity = after.quantity, reserved = after.reserved);
            Ok(Json(StockLevel::from(after)))
        }
        StockChange::BelowReserved { reserved } => Err(ApiError::Conflict(format!(
            "Checkouts in progress hold {reserved} units of this book; the quantity cannot go below that."
        ))),
        StockChange::Negative { quantity } => {
            Err(ApiError::Conflict(format!("That would leave {quantity} units; stock cannot be negative.")))
        }
        StockChange::NotFound => Err(ApiError::not_found(format!("There is no stock record for book {book_id}."))),
    }
}

/// Sets the units on hand; below what checkouts hold is 409 (reservations are never silently reset).
#[utoipa::path(put, path = "/inven/admin/stock/{book_id}", tag = "admin", security(("bearer" = [])), params(("book_id" = Uuid, Path)),
    request_body = SetStock,
    responses(
        (status = 200, body = StockLevel),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn set_stock(
    State(state): State<AppState>,
    Admin(admin): Admin,
    IdPath(book_id): IdPath,
    Body(request): Body<SetStock>,
) -> Result<Json<StockLevel>, ApiError> {
    if request.quantity < 0 {
        return Err(ApiError::invalid_param("quantity", "must be 0 or more"));
    }
    let change = state.commerce.reservations().set(book_id, request.quantity).await?;
    stock_change(&admin, "stock.set", book_id, change)
}

/// Adds (or with a negative delta removes) units; a result below zero, or below what checkouts hold, is 409.
#[utoipa::path(post, path = "/inven/admin/stock/{book_id}/adjust", tag = "admin", security(("bearer" = [])),
    params(("book_id" = Uuid, Path)), request_body = AdjustStock,
    responses(
        (status = 200, body = StockLevel),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, description = "The result would be below zero or below what checkouts hold", content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn adjust_stock(
    State(state): State<AppState>,
    Admin(admin): Admin,
    IdPath(book_id): IdPath,
    Body(request): Body<AdjustStock>,
) -> Result<Json<StockLevel>, ApiError> {
    let change = state.commerce.reservations().adjust(book_id, request.delta).await?;
    stock_change(&admin, "stock.adjust", book_id, change)
}
