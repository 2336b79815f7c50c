//! CSRF tokens: required on every write, bound to the user, single use, expiring when idle; every answer to a write
//! hands out the next one; shared through Redis across processes.

use std::sync::Arc;
use std::time::Duration;

use bookstore_api::identity::csrf::{Csrf, CsrfStore, MemoryStore, RedisStore};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Options, assert_problem, seed_id, spawn, spawn_app};

fn redis_url() -> String {
    std::env::var("BOOKSTORE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

async fn add(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.json(&json!({"bookId": seed_id(1), "quantity": 1})).send().await.unwrap()
}

#[tokio::test]
async fn writes_need_the_users_own_unexpired_token() {
    let app = spawn_app().await;
    let (ann, bob) = (app.shopper("ann"), app.shopper("bob"));
    let missing = add(ann.request(Method::POST, "/ecom/cart")).await;
    assert!(assert_problem(missing, 403).await["detail"].as_str().unwrap().contains("X-CSRF-Token"));
    let bobs = bob.fresh_csrf_token().await;
    assert_problem(add(ann.request(Method::POST, "/ecom/cart").header("x-csrf-token", &bobs)).await, 403).await;
    assert_problem(add(ann.request(Method::POST, "/ecom/cart").header("x-csrf-token", "made-up")).await, 403).await;
    assert_eq!(add(ann.write(Method::POST, "/ecom/cart").await).await.status(), 201);
    // Reads need none, and an anonymous write is 401 (not 403): signing in is what is missing.
    assert_eq!(ann.get("/ecom/cart").await.status(), 200);
    let anonymous = app.client.post(app.url("/ecom/checkout")).send().await.unwrap();
    assert_problem(anonymous, 401).await;
    assert_problem(app.client.get(app.url("/csrf/token")).send().await.unwrap(), 401).await;
}

/// A token is spent by the request that carries it, whatever the answer; each answer hands out the next one, and a
/// refusal hands it out in its problem body, so a client retries once without asking for a token again.
#[tokio::test]
async fn a_token_works_once_and_every_answer_hands_out_the_next() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    let first = ann.fresh_csrf_token().await;
    let added = add(ann.request(Method::POST, "/ecom/cart").header("x-csrf-token", &first)).await;
    assert_eq!(added.status(), 201);
    let next = added.headers()["x-csrf-token"].to_str().unwrap().to_owned();
    assert_ne!(next, first);

    // The spent token is refused, and the refusal carries a fresh token, in the body and the header alike.
    let replayed = add(ann.request(Method::POST, "/ecom/cart").header("x-csrf-token", &first)).await;
    let in_header = replayed.headers()["x-csrf-token"].to_str().unwrap().to_owned();
    let problem = assert_problem(replayed, 403).await;
    let retry = problem["token"].as_str().expect("a refused write carries a fresh token").to_owned();
    assert_eq!(retry, in_header);
    let retried = add(ann.request(Method::POST, "/ecom/cart").header("x-csrf-token", &retry)).await;
    assert!(retried.status().is_success(), "the retry with the handed-out token goes through: {}", retried.status());
    let cart: serde_json::Value = ann.get("/ecom/cart").await.json().await.unwrap();
    assert_eq!(cart[0]["quantity"], 2, "the replay changed nothing, the retry added once");

    // A write the handler refuses still spends its token and hands out the next.
    let bad = ann
        .request(Method::POST, "/ecom/cart")
        .header("x-csrf-token", &next)
        .json(&json!({"bookId": seed_id(1), "quantity": 0}))
        .send()
        .await
        .unwrap();
    let after_bad = bad.headers()["x-csrf-token"].to_str().unwrap().to_owned();
    assert_problem(bad, 422).await;
    assert_problem(add(ann.request(Method::POST, "/ecom/cart").header("x-csrf-token", &next)).await, 403).await;
    let deleted = ann
        .request(Method::DELETE, &format!("/ecom/cart/{}", cart[0]["id"].as_str().unwrap()))
        .header("x-csrf-token", &after_bad)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert!(deleted.headers().contains_key("x-csrf-token"));
}

#[tokio::test]
async fn an_idle_token_expires_and_each_use_renews_the_time() {
    let ttl = Duration::from_secs(2);
    let csrf = Csrf::new(Arc::new(MemoryStore::new(ttl)), ttl);
    let app = spawn(Options { csrf: Some(csrf), ..Default::default() }).await;
    let ann = app.shopper("ann");
    // Three writes 1.2 s apart, each with the token the previous one handed out: 3.6 s in all, longer than a token
    // lives, and never refused.
    let mut token = ann.fresh_csrf_token().await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let response = add(ann.request(Method::POST, "/ecom/cart").header("x-csrf-token", &token)).await;
        assert!(response.status().is_success(), "{}", response.status());
        token = response.headers()["x-csrf-token"].to_str().unwrap().to_owned();
    }
    tokio::time::sleep(Duration::from_millis(2300)).await;
    assert_problem(add(ann.request(Method::POST, "/ecom/cart").header("x-csrf-token", &token)).await, 403).await;
}

#[tokio::test]
async fn both_stores_bind_tokens_to_users_spend_them_once_and_expire_them() {
    let stores: Vec<(&str, Arc<dyn CsrfStore>)> = vec![
        ("memory", Arc::new(MemoryStore::new(Duration::from_secs(1)))),
        ("redis", Arc::new(RedisStore::connect(&redis_url()).await.expect("Redis on 127.0.0.1:6379"))),
    ];
    for (name, store) in stores {
        let token = format!("test-{}", uuid::Uuid::new_v4());
        store.put(&token, "ann", Duration::from_secs(1)).await.unwrap();
        assert_eq!(store.take(&token).await.unwrap().as_deref(), Some("ann"), "{name}");
        assert_eq!(store.take(&token).await.unwrap(), None, "{name}: spent");
        assert_eq!(store.take("never-issued").await.unwrap(), None, "{name}");
        let unused = format!("test-{}", uuid::Uuid::new_v4());
        store.put(&unused, "ann", Duration::from_secs(1)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(store.take(&unused).await.unwrap(), None, "{name}: expired");
    }
}

/// With Redis, a token from one `bookstore` works on another, and after the first one is gone; spent on one, it is
/// spent on all; and shown by another user, it is refused (and spent).
#[tokio::test]
async fn redis_tokens_work_across_processes_and_restarts() {
    let shared = || async {
        let csrf = Csrf::new(Arc::new(RedisStore::connect(&redis_url()).await.unwrap()), Csrf::DEFAULT_TTL);
        spawn(Options { csrf: Some(csrf), ..Default::default() }).await
    };
    let first = shared().await;
    let (token, other) = (first.shopper("ann").fresh_csrf_token().await, first.shopper("ann").fresh_csrf_token().await);
    drop(first);
    let second = shared().await;
    let stolen = second.shopper("mallory").request(Method::POST, "/ecom/cart").header("x-csrf-token", &other);
    assert_problem(stolen.json(&json!({"bookId": seed_id(2)})).send().await.unwrap(), 403).await;
    let added = add(second.shopper("ann").request(Method::POST, "/ecom/cart").header("x-csrf-token", &token)).await;
    assert_eq!(added.status(), 201, "the token issued by the first process is accepted by the second");
    let third = shared().await;
    let again = add(third.shopper("ann").request(Method::POST, "/ecom/cart").header("x-csrf-token", &token)).await;
    assert_problem(again, 403).await;
    let shown = add(third.shopper("ann").request(Method::POST, "/ecom/cart").header("x-csrf-token", &other)).await;
    assert_problem(shown, 403).await;
}
