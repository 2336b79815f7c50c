//! The shopper's cart, checkout and orders over HTTP, against real PostgreSQL and the real actors.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Options, assert_problem, exec, seed_id, spawn, spawn_app};

#[tokio::test]
async fn cart_add_increment_change_and_remove() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    let first = ann.post("/ecom/cart", json!({"bookId": seed_id(3), "quantity": 2})).await;
    assert_eq!(first.status(), 201);
    let line: Value = first.json().await.unwrap();
    assert_eq!(line["quantity"], 2);
    assert_eq!(line["book"]["title"], "Designing Data-Intensive Applications");
    assert_eq!(line["book"]["price"], 59.99);

    let again: Value = ann.post("/ecom/cart", json!({"bookId": seed_id(3)})).await.json().await.unwrap();
    assert_eq!(again["id"], line["id"], "adding a book already in the cart grows its line");
    assert_eq!(again["quantity"], 3);
    ann.add_seed(1, 1).await;

    let cart: Value = ann.get("/ecom/cart").await.json().await.unwrap();
    assert_eq!(cart.as_array().unwrap().len(), 2);
    let item = line["id"].as_str().unwrap();
    let changed: Value = ann.put(&format!("/ecom/cart/{item}"), json!({"quantity": 7})).await.json().await.unwrap();
    assert_eq!(changed["quantity"], 7);
    assert_eq!(ann.delete(&format!("/ecom/cart/{item}")).await.status(), 204);
    let cart: Value = ann.get("/ecom/cart").await.json().await.unwrap();
    assert_eq!(cart.as_array().unwrap().len(), 1);
    assert_eq!(cart[0]["bookId"], seed_id(1));
}

#[tokio::test]
async fn cart_rejects_bad_input_naming_the_field() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    for (body, field) in [
        (json!({"bookId": seed_id(1), "quantity": 0}), "quantity"),
        (json!({"bookId": seed_id(1), "quantity": 100}), "quantity"),
        (json!({"bookId": seed_id(1), "quantity": "two"}), "quantity"),
        (json!({"quantity": 1}), "bookId"),
        (json!({"bookId": "nope", "quantity": 1}), "bookId"),
    ] {
        let problem = assert_problem(ann.post("/ecom/cart", body.clone()).await, 422).await;
        assert_eq!(problem["invalid-params"][0]["name"], field, "{body}: {problem}");
    }
    ann.add_seed(1, 98).await;
    let too_many =
        assert_problem(ann.post("/ecom/cart", json!({"bookId": seed_id(1), "quantity": 2})).await, 409).await;
    assert!(too_many["detail"].as_str().unwrap().contains("99"), "{too_many}");
    let garbage = ann
        .write(Method::POST, "/ecom/cart")
        .await
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_problem(garbage, 400).await;
    let untyped = ann.write(Method::POST, "/ecom/cart").await.body("{}").send().await.unwrap();
    assert_problem(untyped, 415).await;
    let cart: Value = ann.get("/ecom/cart").await.json().await.unwrap();
    assert_eq!(cart[0]["quantity"], 98, "nothing was lost or changed by the bad requests");
}

#[tokio::test]
async fn another_shoppers_cart_item_is_not_found() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    let line: Value = ann.post("/ecom/cart", json!({"bookId": seed_id(2), "quantity": 1})).await.json().await.unwrap();
    let item = line["id"].as_str().unwrap();
    let bob = app.shopper("bob");
    assert_problem(bob.put(&format!("/ecom/cart/{item}"), json!({"quantity": 5})).await, 404).await;
    assert_problem(bob.delete(&format!("/ecom/cart/{item}")).await, 404).await;
    let cart: Value = ann.get("/ecom/cart").await.json().await.unwrap();
    assert_eq!(cart[0]["quantity"], 1);
}

#[tokio::test]
async fn shopper_routes_need_a_customer_token() {
    let app = spawn_app().await;
    let anonymous = app.client.get(app.url("/ecom/cart")).send().await.unwrap();
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    assert_problem(anonymous, 401).await;
    let no_role = app.as_user("robot", &[]);
    assert_problem(no_role.get("/ecom/cart").await, 403).await;
    assert_problem(no_role.checkout(None).await, 403).await;
}

#[tokio::test]
async fn checkout_turns_the_cart_into_an_order_and_takes_the_stock_once() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    ann.add_seed(2, 2).await; // Clean Code, 39.99
    ann.add_seed(8, 1).await; // Learning Python, 69.99
    let outbox = app.outbox_log().await;
    let response = ann.checkout(None).await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["status"], "CONFIRMED");
    assert_eq!(order["total"], 149.97);
    assert_eq!(location, format!("/ecom/orders/{}", order["id"].as_str().unwrap()));
    let items = order["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().any(|i| i["title"] == "Clean Code" && i["quantity"] == 2 && i["priceAtPurchase"] == 39.99));

    assert_eq!(ann.get("/ecom/cart").await.json::<Value>().await.unwrap(), json!([]), "the bought lines left the cart");
    let stock: Value = app.get_json(&format!("/inven/stock/{}", seed_id(2))).await.1;
    assert_eq!((stock["quantity"].as_i64(), stock["reserved"].as_i64()), (Some(48), Some(0)));
    assert_eq!(app.inventory_value("SELECT count(*) FROM reservations WHERE status <> 'CONFIRMED'").await, 0);
    let events = outbox.events().await;
    assert_eq!(events.len(), 1, "one event relayed: {events:?}");
    assert_eq!(
        (events[0].event_type.as_str(), events[0].aggregate_id.as_str()),
        ("order.created", order["id"].as_str().unwrap())
    );
    assert_eq!(app.ecom_value("SELECT count(*) FROM outbox").await, 0, "relayed events do not pile up");

    let mine: Value = ann.get("/ecom/orders").await.json().await.unwrap();
    assert_eq!(mine["totalElements"], 1);
    assert_eq!(mine["content"][0]["id"], order["id"]);
    let one: Value = ann.get(&location).await.json().await.unwrap();
    assert_eq!(one["total"], 149.97);
    assert_problem(app.shopper("bob").get(&location).await, 404).await;
    assert_eq!(app.shopper("bob").get("/ecom/orders").await.json::<Value>().await.unwrap()["totalElements"], 0);
}

#[tokio::test]
async fn an_order_keeps_the_price_paid() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    ann.add_seed(5, 1).await;
    let order: Value = ann.checkout(None).await.json().await.unwrap();
    exec(&app.ecom, &format!("UPDATE books SET price = 1.00 WHERE id = '{}'", seed_id(5))).await;
    let again: Value = ann.get(&format!("/ecom/orders/{}", order["id"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(again["items"][0]["priceAtPurchase"], 44.99);
    assert_eq!(again["total"], 44.99);
}

/// Ids the shop makes for new rows are UUIDv7: each order, order line, outbox event and cart line sorts after the
/// ones made before it, so inserts append to their primary-key indexes (ADR 012).
#[tokio::test]
async fn new_rows_get_time_ordered_ids() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    let outbox = app.outbox_log().await;
    for seed in [3, 4, 5] {
        ann.add_seed(seed, 1).await;
        assert_eq!(ann.checkout(None).await.status(), 201);
    }
    ann.add_seed(6, 1).await;
    let events: Vec<uuid::Uuid> = outbox.events().await.iter().map(|e| e.id.parse().unwrap()).collect();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|id| id.get_version_num() == 7), "outbox ids are v7: {events:?}");
    assert!(events.windows(2).all(|pair| pair[0] < pair[1]), "each event's id is later than the one before");
    for (table, made) in [("orders", "created_at"), ("order_items", "order_id")] {
        let sql = format!(
            "SELECT count(*) FROM (SELECT id, lag(id) OVER (ORDER BY {made}, id) AS before FROM {table}) AS t
             WHERE substr(id::text, 15, 1) <> '7' OR before >= id"
        );
        assert_eq!(app.ecom_value(&sql).await, 0, "{table}: every id is v7 and later than the one before");
        assert_eq!(app.ecom_value(&format!("SELECT count(*) FROM {table}")).await, 3, "{table}");
    }
    assert_eq!(app.ecom_value("SELECT count(*) FROM cart_items WHERE substr(id::text, 15, 1) = '7'").await, 1);
}

/// Two replicas over one database and a shopper whose requests alternate between them (no affinity): each
/// replica shows the cart as the other left it, and a checkout on either buys exactly that, starting from a copy
/// the other replica's change marked stale (`NOTIFY cart_changed`) rather than discovering the change by placing
/// an order for stale lines (which would first hold stock for them).
#[tokio::test]
async fn one_cart_across_replicas() {
    let a = spawn_app().await;
    let b = a.replica().await;
    let (on_a, on_b) = (a.shopper("ann"), b.shopper("ann"));
    let lines = |cart: Value| -> Vec<(String, i64)> {
        cart.as_array()
            .unwrap()
            .iter()
            .map(|l| (l["bookId"].as_str().unwrap().to_owned(), l["quantity"].as_i64().unwrap()))
            .collect()
    };
    on_a.add_seed(1, 1).await;
    assert_eq!(lines(on_b.get("/ecom/cart").await.json().await.unwrap()), [(seed_id(1), 1)]);
    on_b.add_seed(2, 2).await;
    let on_a_cart: Value = on_a.get("/ecom/cart").await.json().await.unwrap();
    assert_eq!(lines(on_a_cart.clone()), [(seed_id(1), 1), (seed_id(2), 2)]);
    let first = on_a_cart[0]["id"].as_str().unwrap().to_owned();
    let second = on_a_cart[1]["id"].as_str().unwrap().to_owned();
    assert_eq!(on_a.put(&format!("/ecom/cart/{first}"), json!({"quantity": 3})).await.status(), 200);
    assert_eq!(lines(on_b.get("/ecom/cart").await.json().await.unwrap()), [(seed_id(1), 3), (seed_id(2), 2)]);

    // b's session holds [(1, 3), (2, 2)]; a removes the second line.
    assert_eq!(on_a.delete(&format!("/ecom/cart/{second}")).await.status(), 204);
    tokio::time::sleep(Duration::from_millis(500)).await; // the notification's way from a's commit to b
    let response = on_b.checkout(None).await;
    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.unwrap();
    let bought: Vec<(String, i64)> = order["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["bookId"].as_str().unwrap().to_owned(), i["quantity"].as_i64().unwrap()))
        .collect();
    assert_eq!(bought, [(seed_id(1), 3)]);
    let held_for_the_removed_line = format!("SELECT count(*) FROM reservations WHERE book_id = '{}'", seed_id(2));
    assert_eq!(a.inventory_value(&held_for_the_removed_line).await, 0, "the stale copy was never checked out");
    assert_eq!(lines(on_a.get("/ecom/cart").await.json().await.unwrap()), []);
    let mine: Value = on_a.get("/ecom/orders").await.json().await.unwrap();
    assert_eq!(mine["content"][0]["id"], order["id"], "the order made on b is listed on a");
}

/// Another replica changed the cart in the database after this process's CartSession read it: the checkout
/// orders what the database holds, never the stale copy in memory.
#[tokio::test]
async fn a_cart_changed_by_another_replica_is_what_gets_ordered() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    ann.add_seed(2, 1).await;
    assert_eq!(ann.get("/ecom/cart").await.json::<Value>().await.unwrap().as_array().unwrap().len(), 1);
    exec(&app.ecom, "UPDATE cart_items SET quantity = 3 WHERE user_id = 'ann'").await;
    exec(
        &app.ecom,
        &format!("INSERT INTO cart_items (user_id, book_id, quantity) VALUES ('ann', '{}', 1)", seed_id(8)),
    )
    .await;
    let response = ann.checkout(None).await;
    assert_eq!(response.status(), 201);
    let order: Value = response.json().await.unwrap();
    assert_eq!(order["total"], 189.96); // 3 × 39.99 + 69.99
    let mut lines: Vec<(String, i64)> = order["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["bookId"].as_str().unwrap().to_owned(), i["quantity"].as_i64().unwrap()))
        .collect();
    lines.sort();
    assert_eq!(lines, [(seed_id(2), 3), (seed_id(8), 1)]);
    assert_eq!(app.ecom_value("SELECT count(*) FROM cart_items").await, 0);
    assert_eq!(app.ecom_value("SELECT count(*) FROM orders").await, 1);
    let stock: Value = app.get_json(&format!("/inven/stock/{}", seed_id(2))).await.1;
    assert_eq!((stock["quantity"].as_i64(), stock["reserved"].as_i64()), (Some(47), Some(0)));
    assert_eq!(app.inventory_value("SELECT count(*) FROM reservations WHERE status = 'HELD'").await, 0);

    // A cart emptied elsewhere is empty here too.
    ann.add_seed(5, 1).await;
    exec(&app.ecom, "DELETE FROM cart_items WHERE user_id = 'ann'").await;
    assert_problem(ann.checkout(None).await, 409).await;
    assert_eq!(app.ecom_value("SELECT count(*) FROM orders").await, 1);
    assert_eq!(app.inventory_value("SELECT sum(reserved) FROM inventory").await, 0);
}

#[tokio::test]
async fn an_empty_cart_cannot_check_out() {
    let app = spawn_app().await;
    assert_problem(app.shopper("ann").checkout(None).await, 409).await;
}

#[tokio::test]
async fn insufficient_stock_is_409_naming_the_books_and_holds_nothing() {
    let app = spawn_app().await;
    exec(&app.inventory, &format!("UPDATE inventory SET quantity = 1 WHERE book_id = '{}'", seed_id(6))).await;
    let ann = app.shopper("ann");
    ann.add_seed(1, 1).await;
    ann.add_seed(6, 2).await;
    let problem = assert_problem(ann.checkout(None).await, 409).await;
    assert!(problem["detail"].as_str().unwrap().contains("Kubernetes in Action"), "{problem}");
    assert_eq!(
        problem["books"],
        json!([{"bookId": seed_id(6), "title": "Kubernetes in Action", "requested": 2, "available": 1}])
    );
    assert_eq!(app.inventory_value("SELECT sum(reserved) FROM inventory").await, 0, "the line that fit was released");
    assert_eq!(app.inventory_value("SELECT sum(quantity) FROM inventory").await, 451);
    assert_eq!(app.ecom_value("SELECT count(*) FROM orders").await, 0);
    assert_eq!(
        ann.get("/ecom/cart").await.json::<Value>().await.unwrap().as_array().unwrap().len(),
        2,
        "the cart is intact"
    );
}

#[tokio::test]
async fn the_same_idempotency_key_returns_the_same_order_once() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    ann.add_seed(4, 3).await;
    let first = ann.checkout(Some("retry-me-1")).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    ann.add_seed(4, 1).await; // a new cart must not change the replayed answer
    let replay = ann.checkout(Some("retry-me-1")).await;
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.json::<Value>().await.unwrap(), first);
    assert_eq!(app.ecom_value("SELECT count(*) FROM orders").await, 1);
    assert_eq!(
        app.inventory_value(&format!("SELECT quantity FROM inventory WHERE book_id = '{}'", seed_id(4))).await,
        47
    );
    let problem = assert_problem(ann.checkout(Some(&"k".repeat(65))).await, 422).await;
    assert_eq!(problem["invalid-params"][0]["name"], "Idempotency-Key");
    // Keys belong to a shopper: bob's "retry-me-1" is his own.
    let bob = app.shopper("bob");
    bob.add_seed(4, 1).await;
    assert_eq!(bob.checkout(Some("retry-me-1")).await.status(), 201);
}

#[tokio::test]
async fn checkout_with_the_inventory_database_down_is_503_and_changes_nothing() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    ann.add_seed(1, 1).await;
    app.databases.drop_database(crate::helpers::Service::Inventory).await;
    assert_problem(ann.checkout(None).await, 503).await;
    assert_eq!(app.ecom_value("SELECT count(*) FROM orders").await, 0);
    assert_eq!(ann.get("/ecom/cart").await.json::<Value>().await.unwrap().as_array().unwrap().len(), 1);
}

/// 200 shoppers race for the last 10 copies: exactly 10 orders, nothing oversold, nothing left reserved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_oversell_under_200_concurrent_checkouts() {
    let app = spawn_app().await;
    exec(&app.inventory, &format!("UPDATE inventory SET quantity = 10 WHERE book_id = '{}'", seed_id(7))).await;
    let shoppers: Vec<_> = (0..200).map(|i| app.shopper(&format!("racer-{i}"))).collect();
    for shopper in &shoppers {
        shopper.add_seed(7, 1).await;
    }
    let results = futures::future::join_all(shoppers.iter().map(|s| s.checkout(None))).await;
    let created = results.iter().filter(|r| r.status() == 201).count();
    let refused = results.iter().filter(|r| r.status() == 409).count();
    assert_eq!((created, refused), (10, 190), "every checkout is either an order or a clear 409");
    let book = seed_id(7);
    assert_eq!(app.inventory_value(&format!("SELECT quantity FROM inventory WHERE book_id = '{book}'")).await, 0);
    assert_eq!(app.inventory_value(&format!("SELECT reserved FROM inventory WHERE book_id = '{book}'")).await, 0);
    assert_eq!(app.ecom_value("SELECT count(*) FROM orders").await, 10);
    assert_eq!(app.ecom_value(&format!("SELECT sum(quantity) FROM order_items WHERE book_id = '{book}'")).await, 10);
    assert_eq!(app.inventory_value("SELECT count(*) FROM reservations WHERE status = 'HELD'").await, 0);
}

/// N confirmed orders of q copies take exactly N × q, and settling again changes nothing.
#[tokio::test]
async fn no_double_decrement() {
    let app = spawn_app().await;
    let (orders, copies) = (5, 3);
    for i in 0..orders {
        let shopper = app.shopper(&format!("buyer-{i}"));
        shopper.add_seed(9, copies).await;
        assert_eq!(shopper.checkout(Some("once")).await.status(), 201);
        assert_eq!(shopper.checkout(Some("once")).await.status(), 200);
    }
    app.commerce.sweep().await.unwrap();
    let book = seed_id(9);
    assert_eq!(
        app.inventory_value(&format!("SELECT quantity FROM inventory WHERE book_id = '{book}'")).await,
        i64::from(50 - orders * copies)
    );
    assert_eq!(app.inventory_value(&format!("SELECT reserved FROM inventory WHERE book_id = '{book}'")).await, 0);
}

fn short_reservations() -> Options {
    let mut options = Options::default();
    options.commerce.reservation_ttl = Duration::from_secs(2);
    options
}

/// The checkout's actor dies after reserving, before the order: the order never exists, and once the
/// reservation expires one sweep gives the stock back.
#[tokio::test]
async fn a_crash_between_reserve_and_order_heals_after_one_sweep() {
    let app = spawn(short_reservations()).await;
    let ann = app.shopper("ann");
    ann.add_seed(3, 4).await;
    app.commerce.faults().crash_after_reserve();
    assert_problem(ann.checkout(None).await, 503).await;
    let book = seed_id(3);
    assert_eq!(
        app.inventory_value(&format!("SELECT reserved FROM inventory WHERE book_id = '{book}'")).await,
        4,
        "the crash left the hold"
    );
    assert_eq!(app.commerce.sweep().await.unwrap().released, 0, "not expired yet: it may still be a live checkout");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(app.commerce.sweep().await.unwrap().released, 1);
    assert_eq!(app.inventory_value(&format!("SELECT reserved FROM inventory WHERE book_id = '{book}'")).await, 0);
    assert_eq!(app.inventory_value(&format!("SELECT quantity FROM inventory WHERE book_id = '{book}'")).await, 50);
    assert_eq!(app.ecom_value("SELECT count(*) FROM orders").await, 0);
    // The shopper's session was replaced; the cart is still there and checks out now.
    assert_eq!(ann.checkout(None).await.status(), 201);
    assert_eq!(app.inventory_value(&format!("SELECT quantity FROM inventory WHERE book_id = '{book}'")).await, 46);
}

/// The actor dies after the order committed, before confirming: one sweep confirms, so the stock is taken
/// exactly once and nothing stays reserved.
#[tokio::test]
async fn a_crash_between_order_and_confirm_heals_after_one_sweep() {
    let app = spawn(short_reservations()).await;
    let ann = app.shopper("ann");
    ann.add_seed(10, 2).await;
    app.commerce.faults().crash_after_order();
    assert_problem(ann.checkout(None).await, 503).await;
    let book = seed_id(10);
    assert_eq!(app.ecom_value("SELECT count(*) FROM orders").await, 1, "the order committed");
    assert_eq!(app.inventory_value(&format!("SELECT reserved FROM inventory WHERE book_id = '{book}'")).await, 2);
    let report = app.commerce.sweep().await.unwrap();
    assert_eq!((report.confirmed, report.released), (1, 0));
    assert_eq!(app.inventory_value(&format!("SELECT quantity FROM inventory WHERE book_id = '{book}'")).await, 48);
    assert_eq!(app.inventory_value(&format!("SELECT reserved FROM inventory WHERE book_id = '{book}'")).await, 0);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        app.commerce.sweep().await.unwrap(),
        Default::default(),
        "nothing left to settle, nothing settled twice"
    );
    assert_eq!(app.inventory_value(&format!("SELECT quantity FROM inventory WHERE book_id = '{book}'")).await, 48);
    let mine: Value = ann.get("/ecom/orders").await.json().await.unwrap();
    assert_eq!(mine["totalElements"], 1);
}

/// A panic in one shopper's actor: that shopper's next request gets a fresh actor with the cart intact, and
/// nobody else notices.
#[tokio::test]
async fn a_crashed_cart_actor_is_replaced_with_the_cart_intact() {
    let app = spawn_app().await;
    let (ann, bob) = (app.shopper("ann"), app.shopper("bob"));
    ann.add_seed(1, 2).await;
    bob.add_seed(2, 1).await;
    assert!(app.commerce.carts().crash_session("ann").await, "ann has a live session to crash");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let cart: Value = ann.get("/ecom/cart").await.json().await.unwrap();
    assert_eq!(cart[0]["quantity"], 2);
    ann.add_seed(1, 1).await;
    assert_eq!(ann.get("/ecom/cart").await.json::<Value>().await.unwrap()[0]["quantity"], 3);
    assert_eq!(bob.get("/ecom/cart").await.json::<Value>().await.unwrap()[0]["quantity"], 1);
    assert!(app.commerce.is_healthy());
}

/// Replicas announce cart changes (`NOTIFY cart_changed`); a process alone on its databases (the embedded default)
/// does not, since nobody would listen, and its commits skip NOTIFY's database-wide lock.
#[tokio::test]
async fn only_replicas_announce_cart_changes() {
    use bookstore_api::runtime::db::Databases;
    use sea_orm::ConnectionTrait;
    use sea_orm::sqlx::postgres::PgListener;

    let app = spawn_app().await;
    let mut listener = PgListener::connect(&app.databases.urls.ecom).await.unwrap();
    listener.listen("cart_changed").await.unwrap();
    let add = |user: &str| {
        format!("INSERT INTO cart_items (user_id, book_id, quantity) VALUES ('{user}', '{}', 1)", seed_id(1))
    };

    let alone = Databases::connect_alone(&app.databases.urls).await.unwrap();
    alone.ecom.execute_unprepared(&add("alone")).await.unwrap();
    let replica = Databases::connect(&app.databases.urls).await.unwrap();
    replica.ecom.execute_unprepared(&add("replica")).await.unwrap();

    let first = tokio::time::timeout(Duration::from_secs(5), listener.recv()).await.expect("a notification").unwrap();
    assert!(first.payload().starts_with("replica\t"), "the lone process announced its change: {}", first.payload());
    let more = tokio::time::timeout(Duration::from_millis(500), listener.recv()).await;
    assert!(more.is_err(), "one notification only: {more:?}");
}
