//! Rate limits: the request past the budget is 429 with Retry-After; budgets are per client and per tier, and
//! with Redis one budget is shared by every process.

use std::sync::Arc;

use bookstore_api::edge::ratelimit::{LocalLimiter, RateLimiter, RedisLimiter, parse_limits};

use crate::helpers::{Options, assert_problem, spawn};

fn tiers(raw: &str) -> std::collections::HashMap<&'static str, u32> {
    parse_limits(raw).unwrap().0.unwrap()
}

#[tokio::test]
async fn the_request_past_the_budget_is_429_with_retry_after() {
    let limiter: Arc<dyn RateLimiter> = Arc::new(LocalLimiter::new(&tiers("catalog=3,cart=2")));
    let app = spawn(Options { rate_limiter: Some(limiter), ..Default::default() }).await;
    for _ in 0..3 {
        assert_eq!(app.get("/ecom/books?size=1").await.status(), 200);
    }
    let limited = app.get("/ecom/books?size=1").await;
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_problem(limited, 429).await;

    // A signed-in shopper is their own client, and the cart tier has its own budget.
    let ann = app.shopper("ann");
    for _ in 0..2 {
        assert_eq!(ann.get("/ecom/cart").await.status(), 200);
    }
    assert_problem(ann.get("/ecom/cart").await, 429).await;
    assert_eq!(app.shopper("bob").get("/ecom/cart").await.status(), 200, "bob's budget is his own");
    assert_eq!(ann.get("/ecom/books?size=1").await.status(), 200, "ann's catalog budget is untouched");
    assert_eq!(app.get("/healthz").await.status(), 200, "operations are never limited");
}

/// Two processes sharing Redis share one budget, so limits do not multiply with the replica count.
#[tokio::test]
async fn with_redis_two_processes_share_one_budget() {
    let redis = std::env::var("BOOKSTORE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let limiter =
        || async { Arc::new(RedisLimiter::connect(&redis, tiers("cart=4")).await.unwrap()) as Arc<dyn RateLimiter> };
    let first = spawn(Options { rate_limiter: Some(limiter().await), ..Default::default() }).await;
    let second = spawn(Options { rate_limiter: Some(limiter().await), ..Default::default() }).await;
    // A fresh shopper name per run: Redis outlives the test.
    let user = format!("shared-{}", uuid::Uuid::new_v4().simple());
    let (on_first, on_second) = (first.shopper(&user), second.shopper(&user));
    let mut statuses = Vec::new();
    for i in 0..6 {
        let session = if i % 2 == 0 { &on_first } else { &on_second };
        statuses.push(session.get("/ecom/cart").await.status().as_u16());
    }
    // Each process alone saw only three requests, under the budget of four: a 429 means the budget is shared.
    assert_eq!(&statuses[..4], &[200, 200, 200, 200], "{statuses:?}");
    assert!(statuses[4..].contains(&429), "{statuses:?}");
}
