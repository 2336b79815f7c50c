//! Stock: the public reads over HTTP, and the batched SQL behind checkouts (reservation batches, the one-statement order).

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
    for query in
        [String::new(), format!("book_ids={}", fifty_one.join(",")), format!("book_ids={},not-a-uuid", seed_id(1))]
    {
        let problem = assert_problem(app.get(&format!("/inven/stock/bulk?{query}")).await, 422).await;
        assert_eq!(problem["invalid-params"][0]["name"], "book_ids", "{query}");
    }
    let fifty: Vec<String> = (0..50).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let (status, rows) = app.get_json(&format!("/inven/stock/bulk?book_ids={}", fifty.join(","))).await;
    assert_eq!(status, 200);
    assert_eq!(rows.as_array().unwrap().len(), 0);
}

/// The Reservation actor sends a book's queued work as one batch: holds are granted first come first served, and
/// one that does not fit does not stop a later, smaller one; each reservation settles once however often it is
/// asked. Driven against the repository directly, because which requests share a batch is timing over HTTP.
#[tokio::test]
async fn a_batch_grants_what_fits_in_order_and_settles_each_reservation_once() {
    use bookstore_entities::repo::stock::{Hold, Settle, StockRepo};

    let app = spawn_app().await;
    let book = seed_id(4).parse().unwrap();
    exec(&app.inventory, &format!("UPDATE inventory SET quantity = 5, reserved = 0 WHERE book_id = '{book}'")).await;
    let repo = StockRepo::new(app.inventory.clone());
    let (a, b, c) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let expires_at = chrono::Utc::now() + chrono::Duration::minutes(2);
    let hold = |checkout_id, quantity| Hold { checkout_id, quantity, expires_at };

    let applied = repo.apply(book, &[], &[hold(a, 4), hold(b, 3), hold(c, 1)]).await.unwrap();
    assert_eq!(applied.granted, [true, false, true], "3 did not fit after 4; the 1 after it did");
    let level = format!("SELECT quantity * 1000 + reserved FROM inventory WHERE book_id = '{book}'");
    assert_eq!(app.inventory_value(&level).await, 5_005, "quantity 5, reserved 5");
    assert_eq!(app.inventory_value("SELECT count(*) FROM reservations WHERE status = 'HELD'").await, 2);

    let settle = [
        Settle { checkout_id: a, confirm: true },
        Settle { checkout_id: c, confirm: false },
        Settle { checkout_id: a, confirm: true },
        Settle { checkout_id: b, confirm: true },
    ];
    let applied = repo.apply(book, &settle, &[]).await.unwrap();
    assert_eq!(applied.settled, [4, 1, 0, 0], "a sold once, c given back, b never held");
    assert_eq!(app.inventory_value(&level).await, 1_000, "quantity 1, reserved 0");
}

/// Lines that are not exactly the shopper's cart in the database (an extra line, another quantity, a missing
/// line) are refused without writing anything: the order statement checks the cart it is given.
#[tokio::test]
async fn an_order_for_lines_the_cart_does_not_hold_writes_nothing() {
    use bookstore_entities::repo::order::{NewOrder, OrderRepo, PlaceError};

    let app = spawn_app().await;
    let repo = OrderRepo::new(app.ecom.clone());
    let outbox = app.outbox_log().await;
    let (one, two): (uuid::Uuid, uuid::Uuid) = (seed_id(1).parse().unwrap(), seed_id(2).parse().unwrap());
    exec(&app.ecom, &format!("INSERT INTO cart_items (user_id, book_id, quantity) VALUES ('ann', '{one}', 2)")).await;
    for lines in [vec![(one, 1)], vec![(one, 2), (two, 1)], vec![(two, 2)]] {
        let order = NewOrder { id: uuid::Uuid::new_v4(), user_id: "ann", idempotency_key: None, lines: &lines };
        assert!(matches!(repo.place(&order).await, Err(PlaceError::CartChanged)), "{lines:?}");
    }
    assert_eq!(app.ecom_value("SELECT count(*) FROM orders").await, 0);
    assert_eq!(outbox.events().await, [], "no event for an order that was not placed");
    assert_eq!(app.ecom_value("SELECT sum(quantity) FROM cart_items").await, 2, "the cart is untouched");
    let lines = [(one, 2)];
    let order = NewOrder { id: uuid::Uuid::new_v4(), user_id: "ann", idempotency_key: None, lines: &lines };
    assert_eq!(repo.place(&order).await.unwrap().items.len(), 1, "the exact cart is ordered");
}

/// A book deleted between reading the cart and placing the order: nothing is written, and the answer names it.
#[tokio::test]
async fn an_order_naming_a_vanished_book_writes_nothing() {
    use bookstore_entities::repo::order::{NewOrder, OrderRepo, PlaceError};

    let app = spawn_app().await;
    let repo = OrderRepo::new(app.ecom.clone());
    let outbox = app.outbox_log().await;
    let gone = uuid::Uuid::new_v4();
    let lines = [(seed_id(1).parse().unwrap(), 1), (gone, 2)];
    let order = NewOrder { id: uuid::Uuid::new_v4(), user_id: "ann", idempotency_key: None, lines: &lines };
    match repo.place(&order).await {
        Err(PlaceError::MissingBooks(missing)) => assert_eq!(missing, [gone]),
        other => panic!("expected the vanished book to be named, got {other:?}"),
    }
    assert_eq!(app.ecom_value("SELECT count(*) FROM orders").await, 0);
    assert_eq!(app.ecom_value("SELECT count(*) FROM order_items").await, 0);
    assert_eq!(outbox.events().await, [], "no event for an order that was not placed");
}
