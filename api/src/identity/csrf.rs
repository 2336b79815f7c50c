//! CSRF protection for every write under `/ecom`, `/inven` and `/analytics`: `GET /csrf/token` hands a signed-in
//! user a random token, stored server-side and bound to that user; each POST/PUT/PATCH/DELETE must send one back in
//! `X-CSRF-Token`. A missing, expired, spent or another user's token is 403.
//!
//! Tokens are single use, as upstream's contract has them: the request that carries a token consumes it, whatever
//! its outcome. So that a client need not ask for a new one before every write, every answer to a guarded write
//! carries the next token in `X-CSRF-Token`, and a refused one (403) carries it in its problem body too (`token`):
//! a client whose token went stale retries once without another round trip. A token expires after an idle time
//! ([`Csrf::DEFAULT_TTL`]); each use hands out a new one with the full time, so a client that keeps writing is
//! never interrupted.
//!
//! The store is in-process on the embedded default and Redis (through fred) when `REDIS_URL` is set, so every
//! replica accepts every other's tokens, a token spent on one replica is spent on all, and they survive a restart.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fred::prelude::KeysInterface;
use rand::RngCore;
use serde::Serialize;

use crate::edge::error::ApiError;
use crate::identity::auth::User;
use crate::runtime::startup::AppState;

/// The header writes carry the token in.
pub const HEADER: &str = "x-csrf-token";

#[derive(Debug, thiserror::Error)]
#[error("the CSRF token store failed: {0}")]
pub struct StoreError(String);

/// Where tokens live: user-bound, expiring, single use.
#[async_trait::async_trait]
pub trait CsrfStore: Send + Sync {
    async fn put(&self, token: &str, user: &str, ttl: Duration) -> Result<(), StoreError>;
    /// Takes the token out of the store: the user it was issued to, if it was there and had not expired. A second
    /// take of the same token finds nothing, on every replica.
    async fn take(&self, token: &str) -> Result<Option<String>, StoreError>;
}

/// Tokens in this process (the embedded default), each with its deadline: the cache's own expiry only bounds memory
/// (a removal may still hand back an entry past its time).
pub struct MemoryStore(moka::future::Cache<String, (String, Instant)>);

impl MemoryStore {
    pub fn new(ttl: Duration) -> Self {
        Self(moka::future::Cache::builder().time_to_live(ttl).max_capacity(1_000_000).build())
    }
}

#[async_trait::async_trait]
impl CsrfStore for MemoryStore {
    async fn put(&self, token: &str, user: &str, ttl: Duration) -> Result<(), StoreError> {
        self.0.insert(token.to_owned(), (user.to_owned(), Instant::now() + ttl)).await;
        Ok(())
    }

    async fn take(&self, token: &str) -> Result<Option<String>, StoreError> {
        Ok(self.0.remove(token).await.filter(|(_, deadline)| Instant::now() < *deadline).map(|(user, _)| user))
    }
}

/// Tokens in Redis, shared by every replica.
pub struct RedisStore(fred::clients::Client);

impl RedisStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        crate::runtime::redis::connect(url).await.map(Self).map_err(|e| StoreError(e.to_string()))
    }

    fn key(token: &str) -> String {
        format!("bookstore:csrf:{token}")
    }
}

#[async_trait::async_trait]
impl CsrfStore for RedisStore {
    async fn put(&self, token: &str, user: &str, ttl: Duration) -> Result<(), StoreError> {
        let seconds = i64::try_from(ttl.as_secs().max(1)).unwrap_or(i64::MAX);
        self.0
            .set::<(), _, _>(Self::key(token), user, Some(fred::types::Expiration::EX(seconds)), None, false)
            .await
            .map_err(|e| StoreError(e.to_string()))
    }

    async fn take(&self, token: &str) -> Result<Option<String>, StoreError> {
        // GETDEL is atomic: two replicas racing for one token cannot both get it.
        self.0.getdel::<Option<String>, _>(Self::key(token)).await.map_err(|e| StoreError(e.to_string()))
    }
}

/// Issues and checks tokens. Cheap to clone.
#[derive(Clone)]
pub struct Csrf {
    store: Arc<dyn CsrfStore>,
    ttl: Duration,
}

impl Csrf {
    /// How long a token stays valid when it is not used.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(30 * 60);

    pub fn new(store: Arc<dyn CsrfStore>, ttl: Duration) -> Self {
        Self { store, ttl }
    }

    /// The in-process store, or Redis when a URL is given.
    pub async fn from_settings(redis_url: Option<&str>, ttl: Duration) -> Result<Self, StoreError> {
        let store: Arc<dyn CsrfStore> = match redis_url {
            Some(url) => Arc::new(RedisStore::connect(url).await?),
            None => Arc::new(MemoryStore::new(ttl)),
        };
        Ok(Self::new(store, ttl))
    }

    pub async fn issue(&self, user: &User) -> Result<String, StoreError> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        self.store.put(&token, &user.id, self.ttl).await?;
        Ok(token)
    }

    /// Spends `token`: true when it was `user`'s and still valid. Spent either way.
    pub async fn consume(&self, token: &str, user: &User) -> Result<bool, StoreError> {
        Ok(self.store.take(token).await?.is_some_and(|owner| owner == user.id))
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CsrfToken {
    pub token: String,
}

/// A CSRF token for the signed-in user (any role). Each call issues another; each is good for one write.
#[utoipa::path(get, path = "/csrf/token", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = CsrfToken), (status = 401, body = crate::edge::error::Problem, content_type = "application/problem+json")))]
pub async fn token(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Result<Response, ApiError> {
    let user = crate::identity::auth::bearer_user(&headers, &state.auth)?;
    let token = state.csrf.issue(&user).await.map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(([(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], Json(CsrfToken { token })).into_response())
}

/// Whether a request is a write the CSRF check guards (the OpenAPI document asks the same).
pub(crate) fn guarded(method: &Method, path: &str) -> bool {
    let writes = matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE);
    writes && ["/ecom", "/inven", "/analytics"].iter().any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// Middleware: a write by a signed-in user must carry one of that user's CSRF tokens, which it spends. Every answer
/// carries the next token in `X-CSRF-Token`; a refusal also in its problem body. Requests without a valid bearer
/// token pass through, so the handler answers 401 (the more useful answer) rather than 403.
pub async fn require(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !guarded(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let Ok(user) = crate::identity::auth::bearer_user(request.headers(), &state.auth) else {
        return next.run(request).await;
    };
    let sent = request.headers().get(HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let refusal = match &sent {
        None => Some("This write needs an X-CSRF-Token header (GET /csrf/token, or the one the last write returned)."),
        Some(token) => match state.csrf.consume(token, &user).await {
            Ok(true) => None,
            Ok(false) => {
                Some("The CSRF token is unknown, expired, already used or another user's; retry with `token`.")
            }
            Err(err) => return ApiError::Unavailable(err.to_string()).into_response(),
        },
    };
    let response = match refusal {
        Some(detail) => {
            return match state.csrf.issue(&user).await {
                Ok(fresh) => {
                    let refused = ApiError::CsrfRefused { detail: detail.to_owned(), token: fresh.clone() };
                    with_next_token(refused.into_response(), &fresh)
                }
                Err(err) => ApiError::Unavailable(err.to_string()).into_response(),
            };
        }
        None => next.run(request).await,
    };
    // The write went through (whatever its outcome, its token is spent): hand out the next one.
    match state.csrf.issue(&user).await {
        Ok(fresh) => with_next_token(response, &fresh),
        Err(err) => {
            tracing::warn!(error = %err, "cannot issue the next CSRF token; the client will ask for one");
            response
        }
    }
}

fn with_next_token(mut response: Response, token: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(token) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}
