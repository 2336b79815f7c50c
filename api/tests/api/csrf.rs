//! CSRF tokens: required on every write, bound to the user, expiring; shared through Redis across processes.

use std::sync::Arc;
use std::time::Duration;

use bookstore_api::csrf::{Csrf, CsrfStore, MemoryStore, RedisStore};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Options, assert_problem, seed_id, spawn, spawn_app};

fn redis_url() -> String {
    std::env::var("BOOKSTORE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

#[tokio::test]
async fn writes_need_the_users_own_unexpired_token() {
    let app = spawn_app().await;
    let (ann, bob) = (app.shopper("ann"), app.shopper("bob"));
    let add = |request: reqwest::RequestBuilder| async move {
        request.json(&json!({"bookId": seed_id(1), "quantity": 1})).send().await.unwrap()
    };
    let missing = add(ann.request(Method::POST, "/ecom/cart")).await;
    assert!(assert_problem(missing, 403).await["detail"].as_str().unwrap().contains("X-CSRF-Token"));
    let bobs = bob.csrf_token().await;
    assert_problem(add(ann.request(Method::POST, "/ecom/cart").header("x-csrf-token", &bobs)).await, 403).await;
    assert_problem(add(ann.request(Method::POST, "/ecom/cart").header("x-csrf-token", "made-up")).await, 403).await;
    assert_eq!(add(ann.write(Method::POST, "/ecom/cart").await).await.status(), 201);
    // Reads need none, and an anonymous write is 401 (not 403): signing in is what is missing.
    assert_eq!(ann.get("/ecom/cart").await.status(), 200);
    let anonymous = app.client.post(app.url("/ecom/checkout")).send().await.unwrap();
    assert_problem(anonymous, 401).await;
    assert_problem(app.client.get(app.url("/csrf/token")).send().await.unwrap(), 401).await;
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let ttl = Duration::from_secs(1);
    let csrf = Csrf::new(Arc::new(MemoryStore::new(ttl)), ttl);
    let app = spawn(Options { csrf: Some(csrf), ..Default::default() }).await;
    let ann = app.shopper("ann");
    let token = ann.csrf_token().await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let late = ann
        .request(Method::POST, "/ecom/cart")
        .header("x-csrf-token", token)
        .json(&json!({"bookId": seed_id(1)}))
        .send()
        .await
        .unwrap();
    assert_problem(late, 403).await;
}

#[tokio::test]
async fn both_stores_bind_tokens_to_users_and_expire_them() {
    let stores: Vec<(&str, Arc<dyn CsrfStore>)> = vec![
        ("memory", Arc::new(MemoryStore::new(Duration::from_secs(1)))),
        ("redis", Arc::new(RedisStore::connect(&redis_url()).await.expect("Redis on 127.0.0.1:6379"))),
    ];
    for (name, store) in stores {
        let token = format!("test-{}", uuid::Uuid::new_v4());
        store.put(&token, "ann", Duration::from_secs(1)).await.unwrap();
        assert_eq!(store.owner(&token).await.unwrap().as_deref(), Some("ann"), "{name}");
        assert_eq!(store.owner("never-issued").await.unwrap(), None, "{name}");
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(store.owner(&token).await.unwrap(), None, "{name}: expired");
    }
}

/// With Redis, a token from one `bookstore` works on another, and after the first one is gone.
#[tokio::test]
async fn redis_tokens_work_across_processes_and_restarts() {
    let shared = || async { Csrf::new(Arc::new(RedisStore::connect(&redis_url()).await.unwrap()), Csrf::DEFAULT_TTL) };
    let first = spawn(Options { csrf: Some(shared().await), ..Default::default() }).await;
    let token = first.shopper("ann").csrf_token().await;
    drop(first);
    let second = spawn(Options { csrf: Some(shared().await), ..Default::default() }).await;
    let ann = second.shopper("ann");
    let added = ann
        .request(Method::POST, "/ecom/cart")
        .header("x-csrf-token", &token)
        .json(&json!({"bookId": seed_id(2), "quantity": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201, "the token issued by the first process is accepted by the second");
    let stolen = second.shopper("mallory").request(Method::POST, "/ecom/cart").header("x-csrf-token", &token);
    assert_problem(stolen.json(&json!({"bookId": seed_id(2)})).send().await.unwrap(), 403).await;
}
