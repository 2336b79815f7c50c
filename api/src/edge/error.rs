//! One error type for every handler, rendered as RFC 9457 `application/problem+json`.
//!
//! The internal cause of a 5xx is logged, never shown: a client sees a clean title and detail. Constraint
//! violations become 409, bad input 422, and an unreachable database 503, never a bare 500.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bookstore_actors::{CommerceError, Shortage};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use uuid::Uuid;

/// The problem document of RFC 9457. `instance` is filled in by [`problem_instance`], which knows the request path.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// For 422: each parameter or field that was rejected, and why.
    #[serde(rename = "invalid-params", skip_serializing_if = "Vec::is_empty")]
    pub invalid_params: Vec<InvalidParam>,
    /// Further members a kind of problem defines (e.g. `books` for insufficient stock).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InvalidParam {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// A write without a valid CSRF token; `token` is a fresh one to retry with.
    #[error("{detail}")]
    CsrfRefused { detail: String, token: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("invalid parameter {name}: {reason}")]
    InvalidParam { name: String, reason: String },
    /// Several fields of a request body are invalid: each is listed.
    #[error("invalid fields: {0:?}")]
    Validation(Vec<InvalidParam>),
    /// Fields whose values another record already holds (an ISBN): each is listed.
    #[error("duplicate fields: {0:?}")]
    Duplicate(Vec<InvalidParam>),
    #[error("not enough stock")]
    InsufficientStock(Vec<Shortage>),
    /// An order move its status does not allow: where the order is, and where it may go.
    #[error("the order is {current}")]
    OrderStatus { current: &'static str, allowed: Vec<&'static str> },
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::NotFound(detail.into())
    }

    pub fn invalid_param(name: impl Into<String>, reason: impl ToString) -> Self {
        Self::InvalidParam { name: name.into(), reason: reason.to_string() }
    }

    /// A copy for each of several waiters on one failed load (the cache shares one error among them).
    pub fn duplicate(&self) -> Self {
        match self {
            ApiError::BadRequest(detail) => ApiError::BadRequest(detail.clone()),
            ApiError::Unauthorized(detail) => ApiError::Unauthorized(detail.clone()),
            ApiError::Forbidden(detail) => ApiError::Forbidden(detail.clone()),
            ApiError::CsrfRefused { detail, token } => {
                ApiError::CsrfRefused { detail: detail.clone(), token: token.clone() }
            }
            ApiError::UnsupportedMediaType(detail) => ApiError::UnsupportedMediaType(detail.clone()),
            ApiError::Validation(fields) => ApiError::Validation(fields.clone()),
            ApiError::Duplicate(fields) => ApiError::Duplicate(fields.clone()),
            ApiError::InsufficientStock(books) => ApiError::InsufficientStock(books.clone()),
            ApiError::TooManyRequests(detail) => ApiError::TooManyRequests(detail.clone()),
            ApiError::OrderStatus { current, allowed } => ApiError::OrderStatus { current, allowed: allowed.clone() },
            ApiError::NotFound(detail) => ApiError::NotFound(detail.clone()),
            ApiError::InvalidParam { name, reason } => {
                ApiError::InvalidParam { name: name.clone(), reason: reason.clone() }
            }
            ApiError::Conflict(detail) => ApiError::Conflict(detail.clone()),
            ApiError::Unavailable(detail) => ApiError::Unavailable(detail.clone()),
            ApiError::Internal(cause) => ApiError::Internal(anyhow::anyhow!("{cause:#}")),
        }
    }

    fn problem(&self) -> Problem {
        let (status, kind, title, detail) = match self {
            ApiError::BadRequest(detail) => {
                (StatusCode::BAD_REQUEST, "/problems/bad-request", "Bad Request", detail.clone())
            }
            ApiError::Unauthorized(detail) => {
                (StatusCode::UNAUTHORIZED, "/problems/unauthorized", "Unauthorized", detail.clone())
            }
            ApiError::Forbidden(detail) => (StatusCode::FORBIDDEN, "/problems/forbidden", "Forbidden", detail.clone()),
            ApiError::CsrfRefused { detail, .. } => {
                (StatusCode::FORBIDDEN, "/problems/csrf", "Forbidden", detail.clone())
            }
            ApiError::UnsupportedMediaType(detail) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "/problems/unsupported-media-type",
                "Unsupported Media Type",
                detail.clone(),
            ),
            ApiError::Validation(fields) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/validation",
                "Invalid Request",
                format!("Invalid: {}.", field_list(fields)),
            ),
            ApiError::Duplicate(fields) => (
                StatusCode::CONFLICT,
                "/problems/duplicate",
                "Conflict",
                format!("Already used: {}.", field_list(fields)),
            ),
            ApiError::InsufficientStock(books) => (
                StatusCode::CONFLICT,
                "/problems/insufficient-stock",
                "Insufficient Stock",
                format!(
                    "Not enough stock for: {}.",
                    books
                        .iter()
                        .map(|b| format!("{} ({} wanted, {} available)", b.title, b.requested, b.available))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ),
            ApiError::OrderStatus { current, allowed } => (
                StatusCode::CONFLICT,
                "/problems/order-status",
                "Conflict",
                match allowed.as_slice() {
                    [] => format!("The order is {current} and cannot move any more."),
                    next => format!("The order is {current}; it can only move to {}.", next.join(" or ")),
                },
            ),
            ApiError::TooManyRequests(detail) => {
                (StatusCode::TOO_MANY_REQUESTS, "/problems/too-many-requests", "Too Many Requests", detail.clone())
            }
            ApiError::NotFound(detail) => (StatusCode::NOT_FOUND, "/problems/not-found", "Not Found", detail.clone()),
            ApiError::InvalidParam { name, reason } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/invalid-parameter",
                "Invalid Parameter",
                format!("Parameter `{name}` {reason}."),
            ),
            ApiError::Conflict(detail) => (StatusCode::CONFLICT, "/problems/conflict", "Conflict", detail.clone()),
            ApiError::Unavailable(detail) => {
                (StatusCode::SERVICE_UNAVAILABLE, "/problems/unavailable", "Service Unavailable", detail.clone())
            }
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "/problems/internal",
                "Internal Server Error",
                "The server hit an unexpected condition. It has been logged.".to_owned(),
            ),
        };
        let invalid_params = match self {
            ApiError::InvalidParam { name, reason } => {
                vec![InvalidParam { name: name.clone(), reason: reason.clone() }]
            }
            ApiError::Validation(fields) | ApiError::Duplicate(fields) => fields.clone(),
            _ => Vec::new(),
        };
        let mut extensions = serde_json::Map::new();
        if let ApiError::CsrfRefused { token, .. } = self {
            extensions.insert("token".to_owned(), serde_json::Value::String(token.clone()));
        }
        if let ApiError::OrderStatus { current, allowed } = self {
            extensions.insert("currentStatus".to_owned(), (*current).into());
            extensions.insert("allowedStatuses".to_owned(), allowed.clone().into());
        }
        if let ApiError::InsufficientStock(books) = self {
            let books = books
                .iter()
                .map(|b| {
                    serde_json::json!({"bookId": b.book_id, "title": b.title, "requested": b.requested, "available": b.available})
                })
                .collect();
            extensions.insert("books".to_owned(), serde_json::Value::Array(books));
        }
        Problem { kind, title, status: status.as_u16(), detail, instance: None, invalid_params, extensions }
    }
}

fn field_list(fields: &[InvalidParam]) -> String {
    fields.iter().map(|f| format!("`{}` {}", f.name, f.reason)).collect::<Vec<_>>().join("; ")
}

impl From<CommerceError> for ApiError {
    fn from(err: CommerceError) -> Self {
        match err {
            // Well-formed requests the cart's state refuses are conflicts: another state would take them.
            CommerceError::EmptyCart => ApiError::Conflict("The cart is empty.".to_owned()),
            CommerceError::InsufficientStock(books) => ApiError::InsufficientStock(books),
            CommerceError::UnknownBook => ApiError::not_found("There is no such book in the catalog."),
            CommerceError::TooMany => {
                ApiError::Conflict("That would make the line hold more than 99 copies.".to_owned())
            }
            CommerceError::NoSuchItem => ApiError::not_found("There is no such item in your cart."),
            CommerceError::CartChanged => ApiError::Conflict(
                "Your cart changed while it was being checked out; nothing was ordered. Please review it and try again."
                    .to_owned(),
            ),
            CommerceError::BooksGone(ids) => ApiError::Conflict(format!(
                "Some books in the cart are no longer sold ({}); remove them and try again.",
                ids.iter().map(Uuid::to_string).collect::<Vec<_>>().join(", ")
            )),
            CommerceError::Unavailable(cause) => {
                tracing::warn!(%cause, "shop unavailable");
                ApiError::Unavailable(
                    "The shop cannot complete this right now; nothing was charged. Try again shortly.".to_owned(),
                )
            }
            CommerceError::Internal(cause) => ApiError::Internal(anyhow::anyhow!(cause)),
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) => {
                return ApiError::Conflict(format!("That would duplicate an existing record ({detail})."));
            }
            Some(SqlErr::ForeignKeyConstraintViolation(detail)) => {
                return ApiError::Conflict(format!("That conflicts with related records ({detail})."));
            }
            _ => {}
        }
        if bookstore_entities::repo::is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return ApiError::Unavailable("A database is unavailable; try again shortly.".to_owned());
        }
        ApiError::Internal(err.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "request failed");
        }
        let mut response = self.problem().into_response();
        if matches!(self, ApiError::Unauthorized(_)) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(&self)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        response.extensions_mut().insert(self);
        response
    }
}

/// Middleware: sets `instance` (the request path) on every problem response, whichever layer produced it.
pub async fn problem_instance(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    match response.extensions().get::<Problem>() {
        Some(problem) => {
            let mut problem = problem.clone();
            problem.instance = Some(path);
            let mut rendered = problem.into_response();
            for (name, value) in response.headers() {
                if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                    rendered.headers_mut().insert(name.clone(), value.clone());
                }
            }
            rendered
        }
        None => response,
    }
}

/// The fallback for paths no route matches.
pub async fn not_found(request: Request) -> ApiError {
    nothing_at(request.method(), request.uri().path())
}

/// The 404 of a path nothing serves.
pub fn nothing_at(method: &axum::http::Method, path: &str) -> ApiError {
    ApiError::not_found(format!("There is nothing at {method} {path}."))
}

/// The fallback for a known path with a method it does not serve.
pub async fn method_not_allowed(request: Request) -> Response {
    Problem {
        kind: "/problems/method-not-allowed",
        title: "Method Not Allowed",
        status: StatusCode::METHOD_NOT_ALLOWED.as_u16(),
        detail: format!("{} is not allowed on {}.", request.method(), request.uri().path()),
        instance: None,
        invalid_params: Vec::new(),
        extensions: serde_json::Map::new(),
    }
    .into_response()
}

/// Turns a panic in a handler into a 500 problem. The panic message goes to the log, never to the client.
pub fn panic_response(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    tracing::error!(panic = %message, "handler panicked");
    ApiError::Internal(anyhow::anyhow!("handler panicked")).problem().into_response()
}
