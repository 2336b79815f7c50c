//! Rate limits per client (the signed-in user, else the peer IP), in tiers with their own budgets per minute:
//! catalog, cart, checkout, admin, analytics (`BOOKSTORE_RATE_LIMITS`). Over budget is 429 with `Retry-After`.
//!
//! Locally each tier is a tower_governor keyed limiter (GCRA: a burst of the minute's budget, refilled evenly).
//! With `REDIS_URL` the budget lives in Redis, so it is shared by every replica instead of multiplying with the
//! replica count. Forwarding headers are never trusted: the peer address is the client (the gateway's own limits
//! cover what sits behind it).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fred::prelude::KeysInterface;
use tower_governor::GovernorError;
use tower_governor::governor::{GovernorConfig, GovernorConfigBuilder};
use tower_governor::key_extractor::KeyExtractor;

use crate::edge::error::ApiError;
use crate::runtime::startup::AppState;

/// The tiers, as `BOOKSTORE_RATE_LIMITS` names them, with upstream's budgets per minute.
pub const TIERS: [(&str, u32); 5] =
    [("catalog", 200), ("cart", 60), ("checkout", 10), ("admin", 30), ("analytics", 300)];

/// Requests per minute for each tier; `None` turns limiting off (benchmarks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits(pub Option<HashMap<&'static str, u32>>);

impl Default for Limits {
    fn default() -> Self {
        Self(Some(TIERS.into_iter().collect()))
    }
}

/// Parses `off` or `catalog=200,cart=60,…` (tiers left out keep their defaults).
pub fn parse_limits(raw: &str) -> Result<Limits, String> {
    if raw.trim() == "off" {
        return Ok(Limits(None));
    }
    let mut tiers: HashMap<&'static str, u32> = TIERS.into_iter().collect();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, value) = entry.split_once('=').ok_or_else(|| format!("`{entry}` is not tier=N"))?;
        let tier = TIERS
            .iter()
            .map(|(t, _)| *t)
            .find(|t| *t == name.trim())
            .ok_or_else(|| format!("unknown tier `{name}`"))?;
        let per_minute: u32 =
            value.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| format!("`{entry}` needs a positive number"))?;
        tiers.insert(tier, per_minute);
    }
    Ok(Limits(Some(tiers)))
}

/// Which tier a request counts against, if any (sign-in, operations and the web app are not limited here). The
/// OpenAPI document asks the same of each operation's path template.
pub(crate) fn tier(method: &Method, path: &str) -> Option<&'static str> {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    if *method == Method::POST && path == "/ecom/checkout" {
        Some("checkout")
    } else if under("/ecom/cart") {
        Some("cart")
    } else if under("/ecom/admin") || under("/inven/admin") {
        Some("admin")
    } else if under("/analytics") {
        Some("analytics")
    } else if under("/ecom/books") || under("/inven/stock") {
        Some("catalog")
    } else {
        None
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the rate-limit store failed: {0}")]
pub struct LimitError(String);

/// Counts a request against a client's budget: `Ok(None)` if allowed, `Ok(Some(wait))` if over budget.
#[async_trait::async_trait]
pub trait RateLimiter: Send + Sync {
    async fn acquire(&self, tier: &'static str, client: &str) -> Result<Option<Duration>, LimitError>;
}

/// The request's client key, as a request extension (what [`ClientKey`] extracts for tower_governor).
#[derive(Clone, Debug)]
struct Client(String);

/// tower_governor's key extractor for our clients: the key the middleware put on the request.
#[derive(Clone, Copy, Debug)]
pub struct ClientKey;

impl KeyExtractor for ClientKey {
    type Key = String;

    fn extract<T>(&self, request: &axum::http::Request<T>) -> Result<String, GovernorError> {
        request.extensions().get::<Client>().map(|c| c.0.clone()).ok_or(GovernorError::UnableToExtractKey)
    }
}

/// This process's budgets: one tower_governor keyed limiter per tier.
pub struct LocalLimiter {
    tiers: HashMap<
        &'static str,
        (GovernorConfig<ClientKey, governor::middleware::NoOpMiddleware<governor::clock::QuantaInstant>>, Duration),
    >,
}

impl LocalLimiter {
    pub fn new(limits: &HashMap<&'static str, u32>) -> Self {
        let tiers = limits
            .iter()
            .filter_map(|(tier, per_minute)| {
                let period = Duration::from_millis((60_000 / u64::from(*per_minute)).max(1));
                let config = GovernorConfigBuilder::default()
                    .key_extractor(ClientKey)
                    .per_millisecond(period.as_millis() as u64)
                    .burst_size(*per_minute)
                    .finish()?;
                Some((*tier, (config, period)))
            })
            .collect();
        Self { tiers }
    }
}

#[async_trait::async_trait]
impl RateLimiter for LocalLimiter {
    async fn acquire(&self, tier: &'static str, client: &str) -> Result<Option<Duration>, LimitError> {
        let Some((config, period)) = self.tiers.get(tier) else { return Ok(None) };
        // Over budget: the next unit of budget comes back within one period.
        Ok(config.limiter().check_key(&client.to_owned()).err().map(|_| *period))
    }
}

/// Budgets in Redis, shared by every replica: a counter per client, tier and minute.
pub struct RedisLimiter {
    client: fred::clients::Client,
    limits: HashMap<&'static str, u32>,
}

impl RedisLimiter {
    pub async fn connect(url: &str, limits: HashMap<&'static str, u32>) -> Result<Self, LimitError> {
        let client = crate::runtime::redis::connect(url).await.map_err(|e| LimitError(e.to_string()))?;
        Ok(Self { client, limits })
    }
}

#[async_trait::async_trait]
impl RateLimiter for RedisLimiter {
    async fn acquire(&self, tier: &'static str, client: &str) -> Result<Option<Duration>, LimitError> {
        let Some(per_minute) = self.limits.get(tier).copied() else { return Ok(None) };
        let now = chrono::Utc::now().timestamp();
        let (window, into_window) = (now / 60, now % 60);
        let key = format!("bookstore:ratelimit:{tier}:{client}:{window}");
        let count: i64 = self.client.incr(&key).await.map_err(|e| LimitError(e.to_string()))?;
        // The window's key outlives it briefly; its name changes every minute, so a re-set expiry never extends it.
        let _: bool = self.client.expire(&key, 120, None).await.map_err(|e| LimitError(e.to_string()))?;
        Ok((count > i64::from(per_minute)).then(|| Duration::from_secs((60 - into_window).max(1) as u64)))
    }
}

/// The limiter for the settings: none when off, Redis when a URL is given, else local.
pub async fn from_settings(
    limits: &Limits,
    redis_url: Option<&str>,
) -> Result<Option<Arc<dyn RateLimiter>>, LimitError> {
    let Some(tiers) = &limits.0 else { return Ok(None) };
    Ok(Some(match redis_url {
        Some(url) => Arc::new(RedisLimiter::connect(url, tiers.clone()).await?),
        None => Arc::new(LocalLimiter::new(tiers)),
    }))
}

/// Middleware: counts the request against its client's budget for its tier.
pub async fn limit(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let (Some(limiter), Some(tier)) = (state.rate_limiter.as_ref(), tier(request.method(), request.uri().path()))
    else {
        return next.run(request).await;
    };
    let client = match crate::identity::auth::bearer_user(request.headers(), &state.auth) {
        Ok(user) => format!("user:{}", user.id),
        Err(_) => match request.extensions().get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(peer)) => format!("ip:{}", peer.ip()),
            None => "ip:unknown".to_owned(),
        },
    };
    request.extensions_mut().insert(Client(client.clone()));
    match limiter.acquire(tier, &client).await {
        Ok(None) => next.run(request).await,
        Ok(Some(wait)) => {
            metrics::counter!("rate_limited_total", "tier" => tier).increment(1);
            let mut response = ApiError::TooManyRequests(format!(
                "Too many {tier} requests; try again in {} s.",
                wait.as_secs_f64().ceil() as u64
            ))
            .into_response();
            let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Err(err) => {
            // Failing open: an unreachable budget store must not take the shop down with it.
            tracing::warn!(error = %err, "rate limiting skipped");
            next.run(request).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse() {
        assert_eq!(parse_limits("off").unwrap(), Limits(None));
        let limits = parse_limits("checkout=3, catalog=1000").unwrap().0.unwrap();
        assert_eq!((limits["checkout"], limits["catalog"], limits["cart"]), (3, 1000, 60));
        assert!(parse_limits("checkout=0").is_err());
        assert!(parse_limits("shipping=5").is_err());
        assert!(parse_limits("checkout").is_err());
    }

    #[test]
    fn requests_fall_into_tiers() {
        assert_eq!(tier(&Method::POST, "/ecom/checkout"), Some("checkout"));
        assert_eq!(tier(&Method::GET, "/ecom/cart"), Some("cart"));
        assert_eq!(tier(&Method::PUT, "/inven/admin/stock/x"), Some("admin"));
        assert_eq!(tier(&Method::GET, "/ecom/books/search"), Some("catalog"));
        assert_eq!(tier(&Method::GET, "/analytics/freshness"), Some("analytics"));
        assert_eq!(tier(&Method::POST, "/auth/token"), None);
        assert_eq!(tier(&Method::GET, "/ecom/bookshelf"), None);
    }
}
