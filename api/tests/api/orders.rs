//! Orders after checkout over HTTP: ship, deliver and cancel with their refusals, the timeline, the status filter,
//! stock coming back on cancel (also under 100 concurrent cancels and checkouts), and the live event streams fed by
//! the real in-process CDC reader.

use std::sync::Arc;
use std::time::Duration;

use bookstore_materializer::events::InProcessFeed;
use bookstore_materializer::{Materializer, MaterializerConfig, SourceConfig};
use serde_json::{Value, json};

use crate::helpers::{Options, Session, TestApp, assert_problem, seed_id, spawn, spawn_app};

/// Orders `quantity` copies of seed book `n` for `shopper`; the new order.
async fn order(shopper: &Session<'_>, n: u32, quantity: i32) -> Value {
    shopper.add_seed(n, quantity).await;
    let response = shopper.checkout(None).await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn stock(app: &TestApp, n: u32) -> (i64, i64) {
    let book = seed_id(n);
    (
        app.inventory_value(&format!("SELECT quantity FROM inventory WHERE book_id = '{book}'")).await,
        app.inventory_value(&format!("SELECT reserved FROM inventory WHERE book_id = '{book}'")).await,
    )
}

fn statuses(order: &Value) -> Vec<&str> {
    order["timeline"].as_array().unwrap().iter().map(|step| step["status"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn an_order_ships_and_is_delivered_and_every_step_is_on_its_timeline() {
    let app = spawn_app().await;
    let (ann, admin) = (app.shopper("ann"), app.admin());
    let log = app.outbox_log().await;
    let placed = order(&ann, 2, 1).await;
    let id = placed["id"].as_str().unwrap();
    assert_eq!(placed["nextStatuses"], json!(["SHIPPED", "CANCELLED"]));

    let mine: Value = ann.get(&format!("/ecom/orders/{id}")).await.json().await.unwrap();
    assert_eq!(statuses(&mine), ["CONFIRMED"]);
    assert_eq!(mine["timeline"][0]["by"], "ann");

    let ship = json!({"carrier": "  Royal Mail ", "trackingNumber": "RM123"});
    let shipped = admin.post(&format!("/ecom/admin/orders/{id}/ship"), ship.clone()).await;
    assert_eq!(shipped.status(), 200);
    let shipped: Value = shipped.json().await.unwrap();
    assert_eq!((shipped["status"].as_str(), shipped["carrier"].as_str()), (Some("SHIPPED"), Some("Royal Mail")));
    assert_eq!(shipped["trackingNumber"], "RM123");
    assert_eq!(shipped["nextStatuses"], json!(["DELIVERED"]));
    let again = admin.post(&format!("/ecom/admin/orders/{id}/ship"), ship).await;
    assert_eq!(again.status(), 200, "a repeated move is answered with the order as it is");
    assert_eq!(statuses(&again.json().await.unwrap()), ["CONFIRMED", "SHIPPED"], "and changes nothing");

    let refused = assert_problem(ann.post(&format!("/ecom/orders/{id}/cancel"), json!({})).await, 409).await;
    assert_eq!(
        (refused["currentStatus"].as_str(), &refused["allowedStatuses"]),
        (Some("SHIPPED"), &json!(["DELIVERED"]))
    );
    let delivered = admin.post(&format!("/ecom/admin/orders/{id}/deliver"), json!({})).await;
    assert_eq!(delivered.status(), 200);
    let late = assert_problem(admin.post(&format!("/ecom/admin/orders/{id}/cancel"), json!({})).await, 409).await;
    assert_eq!((late["currentStatus"].as_str(), &late["allowedStatuses"]), (Some("DELIVERED"), &json!([])));

    let mine: Value = ann.get(&format!("/ecom/orders/{id}")).await.json().await.unwrap();
    assert_eq!(statuses(&mine), ["CONFIRMED", "SHIPPED", "DELIVERED"]);
    assert_eq!(mine["timeline"][1]["by"], "shop", "a shopper is not shown which admin moved the order");
    let theirs: Value = admin.get(&format!("/ecom/admin/orders/{id}")).await.json().await.unwrap();
    assert_eq!(theirs["timeline"][1]["by"], "admin1");
    let events: Vec<String> = log.events().await.into_iter().map(|e| e.event_type).collect();
    assert_eq!(events, ["order.created", "order.shipped", "order.delivered"], "one outbox event per move");
}

#[tokio::test]
async fn a_cancel_gives_the_stock_back_once_however_often_it_is_sent() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    let before = stock(&app, 4).await;
    let placed = order(&ann, 4, 3).await;
    let id = placed["id"].as_str().unwrap();
    assert_eq!(stock(&app, 4).await, (before.0 - 3, 0));

    assert_problem(app.shopper("bob").post(&format!("/ecom/orders/{id}/cancel"), json!({})).await, 404).await;
    let bad = json!({"reason": "x".repeat(501)});
    let invalid = assert_problem(ann.post(&format!("/ecom/orders/{id}/cancel"), bad).await, 422).await;
    assert_eq!(invalid["invalid-params"][0]["name"], "reason");
    assert_eq!(stock(&app, 4).await.0, before.0 - 3, "refused cancels change nothing");

    let cancel = || async {
        let response = ann
            .follow(ann.write(reqwest::Method::POST, &format!("/ecom/orders/{id}/cancel")).await.send().await.unwrap());
        assert_eq!(response.status(), 200, "a cancel without a body is fine");
        response.json::<Value>().await.unwrap()
    };
    let cancelled = cancel().await;
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["nextStatuses"], json!([]));
    assert_eq!(stock(&app, 4).await, before, "the units are back");
    assert_eq!(statuses(&cancel().await), ["CONFIRMED", "CANCELLED"]);
    assert_eq!(stock(&app, 4).await, before, "a second cancel gives nothing back again");
    assert_problem(app.admin().post(&format!("/ecom/admin/orders/{id}/ship"), json!({})).await, 409).await;
}

#[tokio::test]
async fn an_admin_cancels_with_a_reason_the_shopper_reads() {
    let app = spawn_app().await;
    let ann = app.shopper("ann");
    let id = order(&ann, 1, 1).await["id"].as_str().unwrap().to_owned();
    let reason = json!({"reason": "The last copy was damaged"});
    let cancelled: Value =
        app.admin().post(&format!("/ecom/admin/orders/{id}/cancel"), reason).await.json().await.unwrap();
    assert_eq!(cancelled["status"], "CANCELLED");
    let mine: Value = ann.get(&format!("/ecom/orders/{id}")).await.json().await.unwrap();
    assert_eq!(mine["timeline"][1]["note"], "The last copy was damaged");
    assert_eq!(mine["timeline"][1]["by"], "shop");
    let unknown = uuid::Uuid::now_v7();
    assert_problem(app.admin().post(&format!("/ecom/admin/orders/{unknown}/deliver"), json!({})).await, 404).await;
}

#[tokio::test]
async fn order_lists_filter_by_status() {
    let app = spawn_app().await;
    let (ann, admin) = (app.shopper("ann"), app.admin());
    let first = order(&ann, 1, 1).await["id"].as_str().unwrap().to_owned();
    let second = order(&ann, 2, 1).await["id"].as_str().unwrap().to_owned();
    order(&app.shopper("bob"), 3, 1).await;
    ann.post(&format!("/ecom/orders/{first}/cancel"), json!({})).await;

    let ids = |page: Value| -> Vec<String> {
        page["content"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(ids(ann.get("/ecom/orders?status=CANCELLED").await.json().await.unwrap()), [first]);
    assert_eq!(ids(ann.get("/ecom/orders?status=CONFIRMED").await.json().await.unwrap()), [second]);
    let confirmed: Value = admin.get("/ecom/admin/orders?status=CONFIRMED").await.json().await.unwrap();
    assert_eq!(confirmed["totalElements"], 2, "ann's and bob's");
    assert!(confirmed["content"][0].get("timeline").is_none(), "listings leave the timeline out");
    let problem = assert_problem(admin.get("/ecom/admin/orders?status=LOST").await, 422).await;
    assert_eq!(problem["invalid-params"][0]["name"], "status");
    assert_problem(ann.get("/ecom/orders?status=cancelled").await, 422).await;
}

/// 100 shoppers at once: half cancel an order they placed while the other half check out the same books. Stock
/// ends as initial − sold + returned, never below zero, nothing left reserved, each cancel returned exactly once.
#[tokio::test]
async fn concurrent_cancels_and_checkouts_keep_the_stock_exact() {
    let app = spawn_app().await;
    let books = [1u32, 2, 3];
    let before: Vec<(i64, i64)> = futures::future::join_all(books.iter().map(|&n| stock(&app, n))).await;
    let shoppers: Vec<Session<'_>> = (0..100).map(|i| app.shopper(&format!("shopper-{i}"))).collect();
    // The first half place their orders now (one copy of one book each), to cancel them in the storm.
    let mut placed = Vec::new();
    for (i, shopper) in shoppers.iter().enumerate().take(50) {
        placed.push(order(shopper, books[i % 3], 1).await["id"].as_str().unwrap().to_owned());
    }
    for (i, shopper) in shoppers.iter().enumerate().skip(50) {
        shopper.add_seed(books[i % 3], 1).await;
    }
    let cancels = shoppers.iter().zip(&placed).map(|(shopper, id)| async move {
        let path = format!("/ecom/orders/{id}/cancel");
        // Each cancel is sent twice at once: a double click must not return the stock twice.
        let (a, b) = tokio::join!(shopper.post(&path, json!({})), shopper.post(&path, json!({})));
        (a.status().as_u16(), b.status().as_u16())
    });
    let checkouts =
        shoppers.iter().skip(50).map(|shopper| async move { shopper.checkout(None).await.status().as_u16() });
    let (cancels, checkouts) = tokio::join!(futures::future::join_all(cancels), futures::future::join_all(checkouts));
    for (a, b) in &cancels {
        // A cancel that found its twin holding the order's token may be refused for its CSRF token (403).
        assert!([(200, 200), (200, 403), (403, 200)].contains(&(*a, *b)), "cancel answers {a}, {b}");
    }
    assert!(checkouts.iter().all(|status| [201, 409].contains(status)), "checkout answers {checkouts:?}");

    let cancelled = app.ecom_value("SELECT count(*) FROM orders WHERE status = 'CANCELLED'").await;
    assert_eq!(cancelled, 50);
    for (&n, (initial, _)) in books.iter().zip(&before) {
        let book = seed_id(n);
        let sold = app
            .ecom_value(&format!(
                "SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN orders o ON o.id = i.order_id
                 WHERE i.book_id = '{book}' AND o.status <> 'CANCELLED'"
            ))
            .await;
        let (quantity, reserved) = stock(&app, n).await;
        assert_eq!(quantity, initial - sold, "book {n}: stock = initial − sold + returned");
        assert!(quantity >= 0, "book {n} below zero");
        assert_eq!(reserved, 0, "book {n}: nothing left reserved");
    }
    let returns = app.inventory_value("SELECT count(*) FROM reservations WHERE status = 'RETURNED'").await;
    assert_eq!(returns, 50, "each cancelled order's reservation returned exactly once");
}

/// The live streams, fed as on the embedded default: the in-process CDC reader hands the outbox's inserts to the
/// feed the server streams from.
#[tokio::test]
async fn moves_reach_the_shoppers_and_the_admins_streams_live() {
    let feed = InProcessFeed::default();
    let app = spawn(Options { order_events: Arc::new(feed.clone()), ..Options::default() }).await;
    let urls = &app.databases.urls;
    let source = SourceConfig::Embedded {
        ecom_url: urls.ecom.clone(),
        inventory_url: urls.inventory.clone(),
        slot_prefix: format!("t_{}", uuid::Uuid::new_v4().simple()),
    };
    let config =
        MaterializerConfig { order_events: Some(feed), ..MaterializerConfig::new(urls.analytics.clone(), source) };
    let materializer = Materializer::start(config).await.unwrap();

    let (ann, admin) = (app.shopper("ann"), app.admin());
    let id = order(&ann, 2, 1).await["id"].as_str().unwrap().to_owned();
    assert_problem(app.shopper("bob").get(&format!("/ecom/orders/{id}/events")).await, 404).await;
    assert_problem(ann.get("/ecom/admin/events").await, 403).await;
    let mut mine = EventStream::open(&ann, &format!("/ecom/orders/{id}/events")).await;
    let mut all = EventStream::open(&admin, "/ecom/admin/events").await;
    assert_eq!(mine.next().await.0, "ready");
    assert_eq!(all.next().await.0, "ready");

    admin.post(&format!("/ecom/admin/orders/{id}/ship"), json!({"carrier": "DHL"})).await;
    let (name, data) = mine.next().await;
    assert_eq!(name, "order.shipped");
    assert_eq!((data["orderId"].as_str(), data["status"].as_str()), (Some(id.as_str()), Some("SHIPPED")));
    assert_eq!(data["carrier"], "DHL");
    assert!(data.get("actor").is_none(), "the shopper is not told which admin: {data}");
    let (name, data) = all.next().await;
    assert_eq!((name.as_str(), data["actor"].as_str()), ("order.shipped", Some("admin1")));

    let other = order(&app.shopper("bob"), 3, 1).await["id"].as_str().unwrap().to_owned();
    let (name, data) = all.next().await;
    assert_eq!((name.as_str(), data["orderId"].as_str()), ("order.created", Some(other.as_str())));
    admin.post(&format!("/ecom/admin/orders/{id}/deliver"), json!({})).await;
    assert_eq!(mine.next().await.0, "order.delivered", "bob's order is not on ann's stream");
    materializer.shutdown().await;
}

/// Reads Server-Sent Events off a response, one at a time.
struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    async fn open(session: &Session<'_>, path: &str) -> Self {
        let response = session.get(path).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self { response, buffer: String::new() }
    }

    /// The next event's name and data (comments and keep-alives skipped), within 10 s.
    async fn next(&mut self) -> (String, Value) {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let field = |name: &str| {
                        block.lines().find_map(|line| line.strip_prefix(name).map(|v| v.trim_start().to_owned()))
                    };
                    if let (Some(name), Some(data)) = (field("event:"), field("data:")) {
                        return (name, serde_json::from_str(&data).unwrap());
                    }
                    continue;
                }
                let chunk = self.response.chunk().await.unwrap().expect("the stream stays open");
                self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        })
        .await
        .expect("an event within 10 s")
    }
}
