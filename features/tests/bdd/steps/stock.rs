//! Public stock levels.

use anyhow::ensure;
use bookstore_features::client::Stock;
use cucumber::gherkin::Step;
use cucumber::{then, when};

use crate::world::ShopWorld;

#[when(expr = "a visitor checks the stock of {string}")]
async fn check_stock(world: &mut ShopWorld, title: String) -> anyhow::Result<()> {
    let id = world.book_id(&title)?;
    let reply = world.api.stock(&id).await?;
    world.set(reply);
    Ok(())
}

#[when("a visitor checks the stock of a book that does not exist")]
async fn check_missing_stock(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.api.stock(&uuid::Uuid::new_v4().to_string()).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "a visitor checks the stock of the book with id {string}")]
async fn check_stock_by_id(world: &mut ShopWorld, id: String) -> anyhow::Result<()> {
    let reply = world.api.stock(&id).await?;
    world.set(reply);
    Ok(())
}

#[then(expr = "the stock shows {int} copies, {int} reserved and {int} available")]
fn stock_shows(world: &mut ShopWorld, quantity: i64, reserved: i64, available: i64) -> anyhow::Result<()> {
    let stock: Stock = world.last()?.clone().expect(200)?.json()?;
    ensure!((stock.quantity, stock.reserved, stock.available) == (quantity, reserved, available), "{stock:?}");
    Ok(())
}

#[then(expr = "the stock of {string} adds up: available is the copies less those reserved")]
fn stock_adds_up(world: &mut ShopWorld, title: String) -> anyhow::Result<()> {
    let stock: Stock = world.last()?.clone().expect(200)?.json()?;
    ensure!(stock.book_id == world.book_id(&title)?, "stock of another book: {stock:?}");
    ensure!(stock.available == stock.quantity - stock.reserved && stock.available >= 0, "{stock:?}");
    ensure!(!stock.updated_at.is_empty(), "no update time");
    Ok(())
}

/// The table's rows are titles, or "an unknown book".
#[when("a visitor checks the stock of these books at once:")]
async fn check_bulk(world: &mut ShopWorld, step: &Step) -> anyhow::Result<()> {
    let mut ids = Vec::new();
    for row in step.table.as_ref().map(|t| t.rows.clone()).unwrap_or_default() {
        let title = row[0].trim();
        ids.push(if title == "an unknown book" { uuid::Uuid::new_v4().to_string() } else { world.book_id(title)? });
    }
    let reply = world.api.stock_bulk(&ids).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "a visitor checks the stock of {int} unknown books at once")]
async fn check_bulk_unknown(world: &mut ShopWorld, n: usize) -> anyhow::Result<()> {
    let ids: Vec<String> = (0..n).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let reply = world.api.stock_bulk(&ids).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "a visitor checks stock at once with the list {string}")]
async fn check_bulk_raw(world: &mut ShopWorld, list: String) -> anyhow::Result<()> {
    let reply = world.api.get(&format!("/inven/stock/bulk?book_ids={list}")).await?;
    world.set(reply);
    Ok(())
}

#[then(expr = "they get one stock line each for {string} and {string}, in that order")]
fn one_line_each(world: &mut ShopWorld, first: String, second: String) -> anyhow::Result<()> {
    let rows: Vec<Stock> = world.last()?.clone().expect(200)?.json()?;
    let ids: Vec<String> = rows.iter().map(|r| r.book_id.clone()).collect();
    ensure!(ids == [world.book_id(&first)?, world.book_id(&second)?], "got {ids:?}");
    Ok(())
}

#[then("they get no stock lines")]
fn no_lines(world: &mut ShopWorld) -> anyhow::Result<()> {
    let rows: Vec<Stock> = world.last()?.clone().expect(200)?.json()?;
    ensure!(rows.is_empty(), "got {rows:?}");
    Ok(())
}
