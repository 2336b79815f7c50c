//! One error type for every handler, rendered as RFC 9457 `application/problem+json`.
//!
//! The internal cause of a 5xx is logged, never shown: a client sees a clean title and detail. Constraint
//! violations become 409, bad input 422, and an unreachable database 503, never a bare 500.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;

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
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InvalidParam {
    pub name: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("invalid parameter {name}: {reason}")]
    InvalidParam { name: String, reason: String },
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
            _ => Vec::new(),
        };
        Problem { kind, title, status: status.as_u16(), detail, instance: None, invalid_params }
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
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return ApiError::Unavailable("A database is unavailable; try again shortly.".to_owned());
        }
        ApiError::Internal(err.into())
    }
}

/// Whether a database error means "the database is not there right now" (503) rather than a bug (500): no
/// connection, a dropped connection, or PostgreSQL saying it is shutting down or the database does not exist.
fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    let runtime = match err {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => return true,
        DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return false,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else { return false };
    match sqlx.as_ref() {
        Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
        Sqlx::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "3D000")
        }),
        _ => false,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "request failed");
        }
        self.problem().into_response()
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
    ApiError::not_found(format!("There is nothing at {} {}.", request.method(), request.uri().path()))
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
