//! Checkout: turning a cart into an order, and every way that can be refused.

use anyhow::{Context as _, ensure};
use bookstore_features::client::{Order, Reply};
use cucumber::{given, then, when};

use crate::world::ShopWorld;

/// Records an order from a successful checkout answer.
fn record(world: &mut ShopWorld, name: &str, reply: &Reply) -> anyhow::Result<()> {
    if reply.status == 201 || reply.status == 200 {
        let order: Order = reply.json()?;
        world.orders.entry(name.to_owned()).or_default().push(order);
    }
    Ok(())
}

#[given(expr = "the shop has a new book {string} at {float} with {int} copy/copies")]
async fn new_book(world: &mut ShopWorld, title: String, price: f64, copies: i64) -> anyhow::Result<()> {
    world.add_own_book(&title, price, copies).await?;
    Ok(())
}

#[given(expr = "the shop has a new book {string} with {int} copy/copies")]
async fn new_book_any_price(world: &mut ShopWorld, title: String, copies: i64) -> anyhow::Result<()> {
    world.add_own_book(&title, 15.0, copies).await?;
    Ok(())
}

#[when(expr = "{word} checks out")]
async fn checks_out(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let reply = world.shopper(&name).await?.checkout(None).await?;
    record(world, &name, &reply)?;
    world.set(reply);
    Ok(())
}

#[given(expr = "{word} has bought {int} copy/copies of {string}")]
async fn has_bought(world: &mut ShopWorld, name: String, quantity: i64, title: String) -> anyhow::Result<()> {
    let book_id = world.book_id(&title)?;
    let session = world.shopper(&name).await?;
    session.add_to_cart(&book_id, quantity).await?.expect_success()?;
    let reply = session.checkout(None).await?.expect(201)?;
    record(world, &name, &reply)?;
    Ok(())
}

#[when(expr = "{word} checks out with the key {string}")]
#[when(expr = "{word} checks out again with the key {string}")]
async fn checks_out_with_key(world: &mut ShopWorld, name: String, key: String) -> anyhow::Result<()> {
    let reply = world.shopper(&name).await?.checkout(Some(&key)).await?;
    record(world, &name, &reply)?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} checks out with a key of {int} characters")]
async fn checks_out_long_key(world: &mut ShopWorld, name: String, length: usize) -> anyhow::Result<()> {
    let reply = world.shopper(&name).await?.checkout(Some(&"k".repeat(length))).await?;
    record(world, &name, &reply)?;
    world.set(reply);
    Ok(())
}

#[then(expr = "{word}'s order is confirmed with a total of {float}")]
fn order_confirmed(world: &mut ShopWorld, name: String, total: f64) -> anyhow::Result<()> {
    let reply = world.last()?.clone().expect(201)?;
    let order = world.last_order(&name)?;
    ensure!(order.status == "CONFIRMED" && order.total == total, "{order:?}");
    let location = reply.header("location").context("no Location header")?;
    ensure!(location == format!("/ecom/orders/{}", order.id), "Location {location}");
    Ok(())
}

#[then(expr = "the order has {int} copy/copies of {string} at {float} each")]
fn order_has(world: &mut ShopWorld, quantity: i64, title: String, price: f64) -> anyhow::Result<()> {
    let order: Order = world.last()?.json()?;
    let line = order.items.iter().find(|i| i.title == title).with_context(|| format!("no {title:?} in {order:?}"))?;
    ensure!(line.quantity == quantity && line.price_at_purchase == price, "{line:?}");
    Ok(())
}

#[then(expr = "{string} has {int} copy/copies left and none reserved")]
async fn copies_left(world: &mut ShopWorld, title: String, quantity: i64) -> anyhow::Result<()> {
    let stock = world.api.stock_of(&world.book_id(&title)?).await?;
    ensure!(stock.quantity == quantity && stock.reserved == 0, "{stock:?}");
    Ok(())
}

#[then(expr = "{word} is told there is not enough of {string}: {int} wanted, {int} available")]
fn not_enough(world: &mut ShopWorld, _name: String, title: String, wanted: i64, available: i64) -> anyhow::Result<()> {
    let problem = world.last()?.clone().expect(409)?.problem()?;
    let id = world.book_id(&title)?;
    ensure!(problem.books.len() == 1, "short books: {:?}", problem.books);
    let short = &problem.books[0];
    ensure!(short.book_id == id && short.title == title, "{short:?}");
    ensure!((short.requested, short.available) == (wanted, available), "{short:?}");
    ensure!(problem.detail.contains(&title), "the explanation does not name {title:?}: {}", problem.detail);
    Ok(())
}

#[then(expr = "{word} is told her/his/their cart is empty")]
fn told_empty(world: &mut ShopWorld, _name: String) -> anyhow::Result<()> {
    let problem = world.last()?.clone().expect(409)?.problem()?;
    ensure!(problem.detail.contains("empty"), "{}", problem.detail);
    Ok(())
}

#[then(expr = "{word} has placed no order")]
async fn no_order(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let page: bookstore_features::client::Page<Order> =
        world.shopper(&name).await?.orders(0, 10).await?.expect(200)?.json()?;
    ensure!(page.total_elements == 0, "{name} has {} orders", page.total_elements);
    Ok(())
}

#[then(expr = "{word} has placed {int} order(s)")]
async fn n_orders(world: &mut ShopWorld, name: String, n: u64) -> anyhow::Result<()> {
    let page: bookstore_features::client::Page<Order> =
        world.shopper(&name).await?.orders(0, 100).await?.expect(200)?.json()?;
    ensure!(page.total_elements == n, "{name} has {} orders", page.total_elements);
    Ok(())
}

#[then(expr = "{word} gets the same order back, not a new one")]
fn same_order(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let status = world.last()?.status;
    ensure!(status == 200, "a replay answers 200, got {status}");
    let orders = world.orders.get(&name).map(Vec::as_slice).unwrap_or_default();
    ensure!(orders.len() == 2 && orders[0] == orders[1], "{orders:?}");
    Ok(())
}

#[then(expr = "{word} and {word} have different orders")]
fn different_orders(world: &mut ShopWorld, first: String, second: String) -> anyhow::Result<()> {
    let (a, b) = (world.last_order(&first)?, world.last_order(&second)?);
    ensure!(a.id != b.id, "both got order {}", a.id);
    Ok(())
}

#[given(expr = "{int} shoppers each have {int} copy/copies of {string} in their cart")]
async fn crowd_has(world: &mut ShopWorld, n: usize, quantity: i64, title: String) -> anyhow::Result<()> {
    let book_id = world.book_id(&title)?;
    for i in 0..n {
        world.shopper(&format!("racer-{i}")).await?.add_to_cart(&book_id, quantity).await?.expect_success()?;
    }
    world.notes.insert("crowd".into(), n.into());
    Ok(())
}

#[when("they all check out at the same moment")]
async fn all_check_out(world: &mut ShopWorld) -> anyhow::Result<()> {
    let n = world.notes["crowd"].as_u64().unwrap_or_default() as usize;
    let mut sessions = Vec::new();
    for i in 0..n {
        sessions.push(world.shopper(&format!("racer-{i}")).await?);
    }
    let replies = futures::future::join_all(sessions.iter().map(|s| s.checkout(None))).await;
    world.replies = replies.into_iter().collect::<anyhow::Result<_>>()?;
    Ok(())
}

#[then(expr = "exactly {int} of them get(s) an order and {int} are told there is not enough stock")]
fn race_outcome(world: &mut ShopWorld, winners: usize, losers: usize) -> anyhow::Result<()> {
    let created = world.replies.iter().filter(|r| r.status == 201).count();
    let refused = world.replies.iter().filter(|r| r.status == 409).count();
    let statuses: Vec<u16> = world.replies.iter().map(|r| r.status).collect();
    ensure!((created, refused) == (winners, losers), "statuses {statuses:?}");
    Ok(())
}
