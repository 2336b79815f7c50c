//! The shopper's order history.

use anyhow::ensure;
use bookstore_features::client::{Order, Page};
use cucumber::{then, when};

use crate::world::ShopWorld;

#[when(expr = "{word} looks at her/his/their orders")]
async fn looks_at_orders(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let reply = world.shopper(&name).await?.orders(0, 20).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} looks at her/his/their orders {int} per page")]
async fn looks_at_orders_paged(world: &mut ShopWorld, name: String, size: u32) -> anyhow::Result<()> {
    let reply = world.shopper(&name).await?.orders(0, size).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} opens her/his/their last order")]
async fn opens_last_order(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let id = world.last_order(&name)?.id.clone();
    let reply = world.shopper(&name).await?.order(&id).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} tries to open {word}'s last order")]
async fn opens_other_order(world: &mut ShopWorld, name: String, owner: String) -> anyhow::Result<()> {
    let id = world.last_order(&owner)?.id.clone();
    let reply = world.shopper(&name).await?.order(&id).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} tries to open an order that does not exist")]
async fn opens_missing_order(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let reply = world.shopper(&name).await?.order(&uuid::Uuid::new_v4().to_string()).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} tries to open the order {string}")]
async fn opens_order_by_id(world: &mut ShopWorld, name: String, id: String) -> anyhow::Result<()> {
    let reply = world.shopper(&name).await?.order(&id).await?;
    world.set(reply);
    Ok(())
}

#[then(expr = "she/he/they see(s) {int} order(s) of {int} in all")]
fn see_orders(world: &mut ShopWorld, shown: usize, total: u64) -> anyhow::Result<()> {
    let page: Page<Order> = world.last()?.clone().expect(200)?.json()?;
    ensure!(
        page.content.len() == shown && page.total_elements == total,
        "{} shown of {}",
        page.content.len(),
        page.total_elements
    );
    Ok(())
}

#[then(expr = "the newest order, with {string}, comes first")]
fn newest_first(world: &mut ShopWorld, title: String) -> anyhow::Result<()> {
    let page: Page<Order> = world.last()?.json()?;
    let first = page.content.first().map(|o| o.items.iter().map(|i| i.title.clone()).collect::<Vec<_>>());
    ensure!(
        first.is_some_and(|t| t == [title.clone()]),
        "the first order is not the one with {title:?}: {:?}",
        page.content
    );
    let times: Vec<_> = page.content.iter().map(|o| o.created_at.clone()).collect();
    ensure!(times.windows(2).all(|w| w[0] >= w[1]), "not newest first: {times:?}");
    Ok(())
}

#[then(expr = "she/he/they see(s) the order with a total of {float} and status {string}")]
fn see_order(world: &mut ShopWorld, total: f64, status: String) -> anyhow::Result<()> {
    let order: Order = world.last()?.clone().expect(200)?.json()?;
    ensure!(order.total == total && order.status == status, "{order:?}");
    Ok(())
}

#[then(expr = "{word}'s order still shows {float} for {string}")]
async fn still_shows(world: &mut ShopWorld, name: String, price: f64, title: String) -> anyhow::Result<()> {
    let id = world.last_order(&name)?.id.clone();
    let order: Order = world.shopper(&name).await?.order(&id).await?.expect(200)?.json()?;
    let line = order.items.iter().find(|i| i.title == title);
    ensure!(line.is_some_and(|l| l.price_at_purchase == price), "{order:?}");
    Ok(())
}
