//! The admin console over HTTP: books, orders and stock, and who may use it.

use serde_json::{Value, json};

use crate::helpers::{assert_problem, exec, seed_id, spawn_app};

fn new_book() -> Value {
    json!({
        "title": "Database Internals", "author": "Alex Petrov", "price": 52.5, "isbn": "978-1492040347",
        "genre": "Databases", "publishedYear": 2019, "description": "How storage engines work.", "initialStock": 7
    })
}

#[tokio::test]
async fn admin_routes_are_401_without_a_token_and_403_for_customers() {
    let app = spawn_app().await;
    let customer = app.shopper("ann");
    let id = seed_id(1);
    let routes: Vec<(reqwest::Method, String, Option<Value>)> = vec![
        (reqwest::Method::GET, "/ecom/admin/books".into(), None),
        (reqwest::Method::POST, "/ecom/admin/books".into(), Some(new_book())),
        (reqwest::Method::GET, format!("/ecom/admin/books/{id}"), None),
        (reqwest::Method::PUT, format!("/ecom/admin/books/{id}"), Some(new_book())),
        (reqwest::Method::DELETE, format!("/ecom/admin/books/{id}"), None),
        (reqwest::Method::GET, "/ecom/admin/orders".into(), None),
        (reqwest::Method::GET, format!("/ecom/admin/orders/{id}"), None),
        (reqwest::Method::GET, "/inven/admin/stock".into(), None),
        (reqwest::Method::PUT, format!("/inven/admin/stock/{id}"), Some(json!({"quantity": 1}))),
        (reqwest::Method::POST, format!("/inven/admin/stock/{id}/adjust"), Some(json!({"delta": 1}))),
    ];
    for (method, path, body) in routes {
        let mut anonymous = app.client.request(method.clone(), app.url(&path));
        let mut as_customer = customer.write(method.clone(), &path).await;
        if let Some(body) = &body {
            anonymous = anonymous.json(body);
            as_customer = as_customer.json(body);
        }
        assert_problem(anonymous.send().await.unwrap(), 401).await;
        assert_problem(as_customer.send().await.unwrap(), 403).await;
    }
    assert_eq!(app.get_json(&format!("/ecom/books/{id}")).await.0, 200, "nothing was deleted");
}

#[tokio::test]
async fn create_a_book_with_its_stock_then_edit_and_delete_it() {
    let app = spawn_app().await;
    let admin = app.admin();
    app.get("/ecom/books?size=100").await; // warm the catalog cache
    let created = admin.post("/ecom/admin/books", new_book()).await;
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let book: Value = created.json().await.unwrap();
    let id = book["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/ecom/admin/books/{id}"));
    assert_eq!(book["price"], 52.5);
    let stock = app.get_json(&format!("/inven/stock/{id}")).await.1;
    assert_eq!((stock["quantity"].as_i64(), stock["available"].as_i64()), (Some(7), Some(7)));
    let catalog = app.get_json("/ecom/books?size=100").await.1;
    assert_eq!(catalog["totalElements"], 11, "the catalog shows the new book at once");

    let mut changed = new_book();
    changed["price"] = json!(48.0);
    changed.as_object_mut().unwrap().remove("initialStock");
    let updated: Value = admin.put(&format!("/ecom/admin/books/{id}"), changed).await.json().await.unwrap();
    assert_eq!(updated["price"], 48.0);
    assert_eq!(app.get_json(&format!("/ecom/books/{id}")).await.1["price"], 48.0, "never a stale price");

    assert_eq!(admin.delete(&format!("/ecom/admin/books/{id}")).await.status(), 204);
    assert_problem(app.get(&format!("/ecom/books/{id}")).await, 404).await;
    assert_problem(app.get(&format!("/inven/stock/{id}")).await, 404).await;
    assert_problem(admin.delete(&format!("/ecom/admin/books/{id}")).await, 404).await;
}

#[tokio::test]
async fn invalid_books_are_422_listing_every_field() {
    let app = spawn_app().await;
    let admin = app.admin();
    let problem = assert_problem(
        admin
            .post(
                "/ecom/admin/books",
                json!({"title": " ", "price": -1, "isbn": "978-0000000000", "coverUrl": "ftp://x", "initialStock": -5}),
            )
            .await,
        422,
    )
    .await;
    let mut fields: Vec<String> =
        problem["invalid-params"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect();
    fields.sort();
    assert_eq!(fields, ["author", "coverUrl", "initialStock", "isbn", "price", "title"]);
    let mut duplicate = new_book();
    duplicate["isbn"] = json!("9780132350884"); // Clean Code's, written without hyphens
    let problem = assert_problem(admin.post("/ecom/admin/books", duplicate).await, 409).await;
    assert_eq!(problem["invalid-params"][0]["name"], "isbn");
    let mut price = new_book();
    price["price"] = json!(10.999);
    assert_problem(admin.post("/ecom/admin/books", price).await, 422).await;
    assert_eq!(app.get_json("/ecom/books").await.1["totalElements"], 10, "nothing was created");
}

#[tokio::test]
async fn the_book_list_sorts_like_the_catalog() {
    let app = spawn_app().await;
    let admin = app.admin();
    let prices = |body: Value| -> Vec<f64> {
        body["content"].as_array().unwrap().iter().map(|book| book["price"].as_f64().unwrap()).collect()
    };
    let page: Value = admin.get("/ecom/admin/books?size=100&sort=price,desc").await.json().await.unwrap();
    let got = prices(page);
    let mut expected = got.clone();
    expected.sort_by(|a, b| b.total_cmp(a));
    assert_eq!(got, expected);
    assert!(got.first() > got.last(), "seed prices differ: {got:?}");
    let page: Value = admin.get("/ecom/admin/books?size=100&sort=author").await.json().await.unwrap();
    let authors: Vec<String> =
        page["content"].as_array().unwrap().iter().map(|book| book["author"].as_str().unwrap().to_owned()).collect();
    assert!(authors.windows(2).all(|pair| pair[0] <= pair[1]), "{authors:?}");
    let problem = assert_problem(admin.get("/ecom/admin/books?sort=isbn").await, 422).await;
    assert!(problem.to_string().contains("sort"), "{problem}");
}

#[tokio::test]
async fn a_book_with_orders_cannot_be_deleted() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    ann.add_seed(2, 1).await;
    assert_eq!(ann.checkout(None).await.status(), 201);
    assert_problem(app.admin().delete(&format!("/ecom/admin/books/{}", seed_id(2))).await, 409).await;
    assert_eq!(app.get_json(&format!("/ecom/books/{}", seed_id(2))).await.0, 200);
}

#[tokio::test]
async fn admins_see_every_order_with_its_lines() {
    let app = spawn_app().await;
    for (user, book) in [("ann", 1), ("bob", 2)] {
        let shopper = app.shopper(user);
        shopper.add_seed(book, 2).await;
        assert_eq!(shopper.checkout(None).await.status(), 201);
    }
    let admin = app.admin();
    let orders: Value = admin.get("/ecom/admin/orders?size=10").await.json().await.unwrap();
    assert_eq!(orders["totalElements"], 2);
    let bob = orders["content"].as_array().unwrap().iter().find(|o| o["userId"] == "bob").unwrap().clone();
    assert_eq!(
        bob["items"],
        json!([{"bookId": seed_id(2), "title": "Clean Code", "quantity": 2, "priceAtPurchase": 39.99}])
    );
    let one: Value =
        admin.get(&format!("/ecom/admin/orders/{}", bob["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(one["total"], 79.98);
    assert_problem(admin.get("/ecom/admin/orders/7f0d8a52-8a4c-4e39-9a71-3c3a33c5a001").await, 404).await;
}

#[tokio::test]
async fn stock_set_and_adjust_respect_reservations() {
    let app = spawn_app().await;
    let admin = app.admin();
    let book = seed_id(5);
    exec(&app.inventory, &format!("UPDATE inventory SET reserved = 5 WHERE book_id = '{book}'")).await;

    let set: Value =
        admin.put(&format!("/inven/admin/stock/{book}"), json!({"quantity": 20})).await.json().await.unwrap();
    assert_eq!(
        (set["quantity"].as_i64(), set["reserved"].as_i64(), set["available"].as_i64()),
        (Some(20), Some(5), Some(15))
    );
    assert_problem(admin.put(&format!("/inven/admin/stock/{book}"), json!({"quantity": 4})).await, 409).await;
    let negative =
        assert_problem(admin.put(&format!("/inven/admin/stock/{book}"), json!({"quantity": -1})).await, 422).await;
    assert_eq!(negative["invalid-params"][0]["name"], "quantity");

    let adjusted: Value =
        admin.post(&format!("/inven/admin/stock/{book}/adjust"), json!({"delta": -3})).await.json().await.unwrap();
    assert_eq!(adjusted["quantity"], 17);
    assert_problem(admin.post(&format!("/inven/admin/stock/{book}/adjust"), json!({"delta": -18})).await, 409).await;
    assert_problem(admin.post(&format!("/inven/admin/stock/{book}/adjust"), json!({"delta": -13})).await, 409).await;
    assert_eq!(
        app.inventory_value(&format!("SELECT reserved FROM inventory WHERE book_id = '{book}'")).await,
        5,
        "reservations are never reset"
    );
    assert_problem(
        admin.put("/inven/admin/stock/7f0d8a52-8a4c-4e39-9a71-3c3a33c5a001", json!({"quantity": 1})).await,
        404,
    )
    .await;
}
