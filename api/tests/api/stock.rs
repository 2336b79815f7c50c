//! Public stock reads over HTTP.

use crate::helpers::{assert_problem, exec, seed_id, spawn_app};

#[tokio::test]
async fn stock_of_one_book_in_snake_case() {
    let app = spawn_app().await;
    exec(&app.inventory, &format!("UPDATE inventory SET reserved = 7 WHERE book_id = '{}'", seed_id(4))).await;
    let (status, stock) = app.get_json(&format!("/inven/stock/{}", seed_id(4))).await;
    assert_eq!(status, 200);
    assert_eq!(stock["book_id"], seed_id(4));
    assert_eq!(stock["quantity"], 50);
    assert_eq!(stock["reserved"], 7);
    assert_eq!(stock["available"], 43);
    assert!(stock["updated_at"].is_string());
}

#[tokio::test]
async fn unknown_and_malformed_stock_ids() {
    let app = spawn_app().await;
    assert_problem(app.get("/inven/stock/7f0d8a52-8a4c-4e39-9a71-3c3a33c5a001").await, 404).await;
    let problem = assert_problem(app.get("/inven/stock/nope").await, 422).await;
    assert_eq!(problem["invalid-params"][0]["name"], "book_id");
}

#[tokio::test]
async fn bulk_stock_returns_the_known_books_once_each() {
    let app = spawn_app().await;
    let unknown = "7f0d8a52-8a4c-4e39-9a71-3c3a33c5a001";
    let query = format!("{},{},{unknown},{}", seed_id(1), seed_id(2), seed_id(1));
    let (status, rows) = app.get_json(&format!("/inven/stock/bulk?book_ids={query}")).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["book_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [seed_id(1), seed_id(2)]);
    assert!(rows.as_array().unwrap().iter().all(|r| r["available"] == 50));
}

#[tokio::test]
async fn bulk_stock_rejects_bad_lists() {
    let app = spawn_app().await;
    let fifty_one: Vec<String> = (0..51).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    for query in [
        String::new(),
        "book_ids=".to_owned(),
        format!("book_ids={}", fifty_one.join(",")),
        format!("book_ids={},not-a-uuid", seed_id(1)),
    ] {
        let problem = assert_problem(app.get(&format!("/inven/stock/bulk?{query}")).await, 422).await;
        assert_eq!(problem["invalid-params"][0]["name"], "book_ids", "{query}");
    }
    let fifty: Vec<String> = (0..50).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let (status, rows) = app.get_json(&format!("/inven/stock/bulk?book_ids={}", fifty.join(","))).await;
    assert_eq!(status, 200);
    assert_eq!(rows.as_array().unwrap().len(), 0);
}
