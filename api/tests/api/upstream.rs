//! What upstream's clients (its SPA, its API tests, probes written for its services) expect and get: the admin stock
//! list as an array, 200/201 from adding to the cart, 404 for an unknown book, an empty bulk list, an optional ISBN
//! on edits, upstream's health paths, and JSON 404s for clients that ask for JSON.

use serde_json::{Value, json};

use crate::helpers::{Options, assert_problem, seed_id, spawn, spawn_app};

#[tokio::test]
async fn admin_stock_is_an_array_paged_through_headers() {
    let app = spawn_app().await;
    let admin = app.admin();
    let first = admin.get("/inven/admin/stock?page=0&size=4").await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["x-total-count"], "10");
    let link = first.headers()["link"].to_str().unwrap().to_owned();
    assert!(link.contains(r#"</inven/admin/stock?page=1&size=4>; rel="next""#), "{link}");
    assert!(link.contains(r#"</inven/admin/stock?page=2&size=4>; rel="last""#), "{link}");
    assert!(!link.contains(r#"rel="prev""#), "{link}");
    let rows: Value = first.json().await.unwrap();
    let rows = rows.as_array().expect("a JSON array of stock rows");
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r["book_id"].is_string() && r["available"].is_i64()), "{rows:?}");

    let last = admin.get("/inven/admin/stock?page=2&size=4").await;
    let link = last.headers()["link"].to_str().unwrap().to_owned();
    assert!(link.contains(r#"</inven/admin/stock?page=1&size=4>; rel="prev""#) && !link.contains("next"), "{link}");
    assert_eq!(last.json::<Value>().await.unwrap().as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn adding_to_the_cart_is_201_for_a_new_line_and_200_for_more_copies() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    let created = ann.post("/ecom/cart", json!({"bookId": seed_id(3), "quantity": 2})).await;
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let line: Value = created.json().await.unwrap();
    assert_eq!(location, format!("/ecom/cart/{}", line["id"].as_str().unwrap()));
    assert_eq!(line["userId"], "ann");

    let more = ann.post("/ecom/cart", json!({"bookId": seed_id(3), "quantity": 1})).await;
    assert_eq!(more.status(), 200);
    assert!(!more.headers().contains_key("location"));
    let grown: Value = more.json().await.unwrap();
    assert_eq!((grown["id"].clone(), grown["quantity"].clone()), (line["id"].clone(), json!(3)));

    let cart: Value = ann.get("/ecom/cart").await.json().await.unwrap();
    assert_eq!(cart[0]["userId"], "ann");
    let item = line["id"].as_str().unwrap();
    let changed: Value = ann.put(&format!("/ecom/cart/{item}"), json!({"quantity": 1})).await.json().await.unwrap();
    assert_eq!(changed["userId"], "ann");
}

#[tokio::test]
async fn an_unknown_book_in_the_cart_is_404() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    let unknown = "7f0d8a52-8a4c-4e39-9a71-3c3a33c5a001";
    let problem = assert_problem(ann.post("/ecom/cart", json!({"bookId": unknown, "quantity": 1})).await, 404).await;
    assert!(problem["detail"].as_str().unwrap().contains("no such book"), "{problem}");
    assert_eq!(ann.get("/ecom/cart").await.json::<Value>().await.unwrap(), json!([]));
}

#[tokio::test]
async fn an_empty_bulk_stock_list_is_an_empty_array() {
    let app = spawn_app().await;
    assert_eq!(app.get_json("/inven/stock/bulk?book_ids=").await, (reqwest::StatusCode::OK, json!([])));
    assert_problem(app.get("/inven/stock/bulk?book_ids=not-a-uuid").await, 422).await;
    assert_problem(app.get("/inven/stock/bulk").await, 422).await;
}

#[tokio::test]
async fn an_edit_without_an_isbn_keeps_the_books() {
    let app = spawn_app().await;
    let admin = app.admin();
    let edit = json!({"title": "Clean Code, 2nd edition", "author": "Robert C. Martin", "price": 42.0});
    let response = admin.put(&format!("/ecom/admin/books/{}", seed_id(2)), edit).await;
    assert_eq!(response.status(), 200);
    let book: Value = response.json().await.unwrap();
    assert_eq!(
        (book["title"].clone(), book["isbn"].clone()),
        (json!("Clean Code, 2nd edition"), json!("978-0132350884"))
    );
    let bad = json!({"title": "Clean Code", "author": "Robert C. Martin", "price": 42.0, "isbn": "978-0000000000"});
    let problem = assert_problem(admin.put(&format!("/ecom/admin/books/{}", seed_id(2)), bad).await, 422).await;
    assert_eq!(problem["invalid-params"][0]["name"], "isbn", "a given ISBN is still checked");
}

#[tokio::test]
async fn upstreams_health_paths_answer_like_healthz() {
    let app = spawn_app().await;
    let healthz = app.get_json("/healthz").await;
    for path in ["/inven/health", "/ecom/actuator/health"] {
        assert_eq!(app.get_json(path).await, healthz, "{path}");
    }
}

#[tokio::test]
async fn unknown_paths_are_json_for_json_clients_and_the_app_for_browsers() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<!doctype html><title>Bookstore</title>").unwrap();
    let app = spawn(Options { web_dir: Some(web.path().to_path_buf()), ..Default::default() }).await;
    let get = |path: &'static str, accept: &'static str| app.client.get(app.url(path)).header("accept", accept).send();
    for path in ["/no-such-page", "/orders/123/nothing", "/assets/missing.js"] {
        for accept in ["application/json", "application/problem+json, application/json;q=0.9", "*/*"] {
            assert_problem(get(path, accept).await.unwrap(), 404).await;
        }
    }
    let page = get("/no-such-page", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8").await.unwrap();
    assert_eq!(page.status(), 200, "browsers get the app, which draws its own 404 page");
    assert!(page.text().await.unwrap().contains("<title>Bookstore</title>"));
}
