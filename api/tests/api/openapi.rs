//! The OpenAPI document is exact: every status an operation can answer is declared, and every constraint the
//! server enforces is in the document, so a client generated from it never sends what the server refuses.
//! (`scripts/api-fuzz` runs schemathesis with all its checks over the same document; these are the cases it found,
//! kept as tests.)

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, seed_id, spawn_app};

async fn document(app: &TestApp) -> Value {
    let (status, doc) = app.get_json("/openapi.json").await;
    assert_eq!(status, 200);
    doc
}

/// Every (method, path template, operation) of the document.
fn operations(doc: &Value) -> Vec<(Method, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            found.push((method.to_uppercase().parse().unwrap(), path.clone(), operation.clone()));
        }
    }
    found
}

fn declares(operation: &Value, status: u16) -> bool {
    operation["responses"].get(status.to_string()).is_some()
}

/// The path with its ids replaced by a seed book's id, and a view's name where one is asked for.
fn concrete(path: &str) -> String {
    let id = seed_id(1);
    path.replace("{name}", "vw_sales_over_time").replace("{id}", &id).replace("{itemId}", &id).replace("{book_id}", &id)
}

#[tokio::test]
async fn every_operation_declares_what_the_middleware_answers() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let ops = operations(&doc);
    assert!(ops.len() >= 25, "{} operations", ops.len());
    let mut ids = Vec::new();
    for (method, path, operation) in &ops {
        let label = format!("{method} {path}");
        ids.push(operation["operationId"].as_str().unwrap().to_owned());
        assert!(declares(operation, 503), "{label}: 503");
        if operation.get("security").is_some() {
            assert!(declares(operation, 401), "{label}: 401");
            if path != "/csrf/token" {
                assert!(declares(operation, 403), "{label}: 403");
            }
        }
        if method != Method::GET {
            assert_eq!(operation["security"], json!([{"bearer": [], "csrf": []}]), "{label}: the CSRF token");
        }
        if operation.get("requestBody").is_some() {
            for status in [400, 415, 422] {
                assert!(declares(operation, status), "{label}: {status}");
            }
        }
        if operation["parameters"].as_array().is_some_and(|p| !p.is_empty()) {
            assert!(declares(operation, 422), "{label}: 422");
        }
        if path.starts_with("/ecom/books") || path.starts_with("/inven/stock") || path.starts_with("/ecom/cart") {
            assert!(declares(operation, 429), "{label}: 429");
        }
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "operation ids are unique: {ids:?}");
    assert_eq!(doc["components"]["securitySchemes"]["csrf"]["name"], "X-CSRF-Token");

    // And the server answers only what is declared: anonymous callers get the declared 401, writes without a CSRF
    // token the declared 403.
    let admin = app.admin();
    for (method, path, operation) in &ops {
        if operation.get("security").is_none() {
            continue;
        }
        let url = concrete(path);
        let anonymous = app.client.request(method.clone(), app.url(&url)).send().await.unwrap();
        let status = anonymous.status().as_u16();
        assert!(declares(operation, status), "{method} {path}: answered {status}, not declared");
        if *method != Method::GET {
            let mut request = admin.request(method.clone(), &url);
            if operation.get("requestBody").is_some() {
                request = request.json(&json!({}));
            }
            let status = request.send().await.unwrap().status().as_u16();
            assert_eq!(status, 403, "{method} {path} without a CSRF token");
        }
    }
}

#[tokio::test]
async fn paging_and_sorting_take_exactly_what_the_document_declares() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let parameters = doc["paths"]["/ecom/books"]["get"]["parameters"].as_array().unwrap();
    let schema = |name: &str| parameters.iter().find(|p| p["name"] == name).unwrap()["schema"].clone();
    let (page_max, size_max) =
        (schema("page")["maximum"].as_u64().unwrap(), schema("size")["maximum"].as_u64().unwrap());
    for (query, accepted) in [
        (format!("size={size_max}"), true),
        (format!("size={}", size_max + 1), false),
        ("size=0".to_owned(), false),
        (format!("page={page_max}"), true),
        (format!("page={}", page_max + 1), false),
        ("page=-1".to_owned(), false),
        ("page=%201".to_owned(), false),
    ] {
        let status = app.get(&format!("/ecom/books?{query}")).await.status().as_u16();
        assert_eq!(status == 200, accepted, "{query}: {status}");
    }
    let sorts: Vec<String> =
        schema("sort")["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    assert_eq!(sorts.len(), 15, "{sorts:?}");
    for sort in &sorts {
        let encoded = sort.replace(',', "%2C");
        assert_eq!(app.get(&format!("/ecom/books?sort={encoded}")).await.status(), 200, "{sort}");
    }
    for sort in ["%20title", "title%2CDESC", "isbn"] {
        assert_problem(app.get(&format!("/ecom/books?sort={sort}")).await, 422).await;
    }
    // The search text counts as sent: 200 characters after trimming but 201 sent is refused.
    assert_problem(app.get(&format!("/ecom/books/search?q=%20{}", "a".repeat(200))).await, 422).await;
    assert_eq!(app.get(&format!("/ecom/books/search?q={}", "a".repeat(200))).await.status(), 200);
}

#[tokio::test]
async fn ids_and_id_lists_are_canonical_uuids() {
    let app = spawn_app().await;
    let simple = seed_id(1).replace('-', "");
    assert_problem(app.get(&format!("/ecom/books/{simple}")).await, 422).await;
    assert_problem(app.get(&format!("/inven/stock/bulk?book_ids={},%20{}", seed_id(1), seed_id(2))).await, 422).await;
    assert_problem(app.get(&format!("/inven/stock/bulk?book_ids={},,{}", seed_id(1), seed_id(2))).await, 422).await;
    let ann = app.shopper("ann");
    let problem = assert_problem(ann.post("/ecom/cart", json!({"bookId": simple, "quantity": 1})).await, 422).await;
    assert_eq!(problem["invalid-params"][0]["name"], "bookId");
}

/// JSON has one number type: `2.0` is the whole number 2 to JSON Schema, and to the server; `2.5` is not.
#[tokio::test]
async fn whole_numbers_may_be_written_with_a_fraction_of_zero() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    assert_eq!(ann.post("/ecom/cart", json!({"bookId": seed_id(1), "quantity": 2.0})).await.status(), 201);
    assert_problem(ann.post("/ecom/cart", json!({"bookId": seed_id(2), "quantity": 2.5})).await, 422).await;
    let admin = app.admin();
    let set = admin.put(&format!("/inven/admin/stock/{}", seed_id(3)), json!({"quantity": 40.0})).await;
    assert_eq!(set.status(), 200);
    let adjusted = admin.post(&format!("/inven/admin/stock/{}/adjust", seed_id(3)), json!({"delta": -1.0})).await;
    assert_eq!(adjusted.json::<Value>().await.unwrap()["quantity"], 39);
}

/// What the server refuses because of the state it is in (not the request's shape) is 409, as for schema-valid
/// requests a client cannot know are refused before sending them.
#[tokio::test]
async fn refusals_that_depend_on_state_are_conflicts() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    assert_problem(ann.checkout(None).await, 409).await;
    let admin = app.admin();
    let problem = assert_problem(
        admin.post(&format!("/inven/admin/stock/{}/adjust", seed_id(4)), json!({"delta": -51})).await,
        409,
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("negative"), "{problem}");
}

#[tokio::test]
async fn book_texts_are_checked_as_the_document_says() {
    let app = spawn_app().await;
    let admin = app.admin();
    let book = |fields: Value| {
        let mut book = json!({"title": "Fuzzed", "author": "A. Writer", "price": 10, "isbn": "978-1492040347"});
        for (k, v) in fields.as_object().unwrap() {
            book[k] = v.clone();
        }
        book
    };
    // PostgreSQL text cannot hold NUL: refused as invalid, never a 500.
    let nul = assert_problem(admin.post("/ecom/admin/books", book(json!({"title": "a\u{0}b"}))).await, 422).await;
    assert_eq!(nul["invalid-params"][0]["name"], "title");
    for bad in ["http://[", "ftp://covers.example/x", "https://covers.example/a b", "https://:80/x"] {
        let problem = assert_problem(admin.post("/ecom/admin/books", book(json!({"coverUrl": bad}))).await, 422).await;
        assert_eq!(problem["invalid-params"][0]["name"], "coverUrl", "{bad}");
    }
    let edit = json!({"title": "Clean Code", "author": "Robert C. Martin", "price": 39.99, "isbn": null});
    let problem = assert_problem(admin.put(&format!("/ecom/admin/books/{}", seed_id(2)), edit).await, 422).await;
    assert_eq!(problem["invalid-params"][0]["name"], "isbn", "null is no ISBN; leaving it out keeps the book's");
    let created = admin
        .post(
            "/ecom/admin/books",
            book(json!({"coverUrl": " https://covers.example:8443/b/1.jpg?size=l ", "price": 12.5})),
        )
        .await;
    assert_eq!(created.status(), 201);
    assert_eq!(created.json::<Value>().await.unwrap()["coverUrl"], "https://covers.example:8443/b/1.jpg?size=l");
}
