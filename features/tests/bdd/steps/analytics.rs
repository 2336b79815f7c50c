//! Analytics for admins: the materialized views follow the shop within seconds and agree with it.

use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use bookstore_features::client::{Book, Order, Page, StockPage};
use cucumber::{given, then, when};
use serde_json::{Map, Value};

use crate::world::ShopWorld;

type Row = Map<String, Value>;

/// The rows of a view, as the admin sees them.
async fn rows(world: &mut ShopWorld, view: &str) -> anyhow::Result<Vec<Row>> {
    let reply = world.admin().await?.get(&format!("/analytics/views/{view}")).await?.expect(200)?;
    ensure!(reply.body["name"] == view, "answered for {}", reply.body["name"]);
    Ok(serde_json::from_value(reply.body["rows"].clone())?)
}

/// Polls `view` until `check` passes or `seconds` have gone by; the last failure explains why.
async fn within<F>(world: &mut ShopWorld, seconds: u64, view: &str, check: F) -> anyhow::Result<()>
where
    F: Fn(&[Row]) -> anyhow::Result<()>,
{
    let started = Instant::now();
    loop {
        let rows = rows(world, view).await?;
        match check(&rows) {
            Ok(()) => return Ok(()),
            Err(err) if started.elapsed() >= Duration::from_secs(seconds) => {
                return Err(err.context(format!("{view} after {seconds} s")));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

fn number(row: &Row, column: &str) -> f64 {
    row.get(column).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

fn text<'a>(row: &'a Row, column: &str) -> &'a str {
    row.get(column).and_then(Value::as_str).unwrap_or_default()
}

#[given(expr = "the shop has a new book {string} by {string} at {float} with {int} copy/copies")]
async fn new_book_by(
    world: &mut ShopWorld,
    title: String,
    author: String,
    price: f64,
    copies: i64,
) -> anyhow::Result<()> {
    world.add_own_book_by(&title, &author, price, copies).await?;
    Ok(())
}

#[then(expr = "within {int} seconds the sales figures show {int} copies of {string} sold for {float}")]
async fn sales_show(
    world: &mut ShopWorld,
    seconds: u64,
    units: f64,
    title: String,
    revenue: f64,
) -> anyhow::Result<()> {
    within(world, seconds, "vw_product_sales_volume", |rows| {
        let row = rows.iter().find(|r| text(r, "title") == title).with_context(|| format!("{title:?} not listed"))?;
        ensure!(number(row, "units_sold") == units && number(row, "revenue") == revenue, "{row:?}");
        Ok(())
    })
    .await
}

#[then(expr = "within {int} seconds the revenue of the author {string} shows {int} copies sold for {float}")]
async fn author_revenue(
    world: &mut ShopWorld,
    seconds: u64,
    author: String,
    units: f64,
    revenue: f64,
) -> anyhow::Result<()> {
    within(world, seconds, "vw_revenue_by_author", |rows| {
        let row =
            rows.iter().find(|r| text(r, "author") == author).with_context(|| format!("{author:?} not listed"))?;
        ensure!(number(row, "units_sold") == units && number(row, "revenue") == revenue, "{row:?}");
        Ok(())
    })
    .await
}

#[given(expr = "within {int} seconds the stock health shows {string} with {int} in stock, status {string}")]
#[then(expr = "within {int} seconds the stock health shows {string} with {int} in stock, status {string}")]
async fn stock_health(
    world: &mut ShopWorld,
    seconds: u64,
    title: String,
    quantity: f64,
    status: String,
) -> anyhow::Result<()> {
    within(world, seconds, "vw_inventory_health", |rows| {
        let row = rows.iter().find(|r| text(r, "title") == title).with_context(|| format!("{title:?} not listed"))?;
        ensure!(number(row, "stock_quantity") == quantity && text(row, "stock_status") == status, "{row:?}");
        ensure!(number(row, "available") >= 0.0, "{row:?}");
        Ok(())
    })
    .await
}

#[then(expr = "within {int} seconds the stock health no longer lists {string}")]
async fn stock_health_gone(world: &mut ShopWorld, seconds: u64, title: String) -> anyhow::Result<()> {
    within(world, seconds, "vw_inventory_health", |rows| {
        ensure!(rows.iter().all(|r| text(r, "title") != title), "{title:?} is still listed");
        Ok(())
    })
    .await
}

#[then(expr = "within {int} seconds the view {string} has rows with the columns {string}")]
async fn view_columns(world: &mut ShopWorld, seconds: u64, view: String, columns: String) -> anyhow::Result<()> {
    let expected: Vec<&str> = columns.split(", ").collect();
    within(world, seconds, &view, |rows| {
        let row = rows.first().context("no rows yet")?;
        for column in &expected {
            ensure!(row.contains_key(*column), "no column {column} in {row:?}");
        }
        Ok(())
    })
    .await
}

#[when(expr = "the admin opens the analytics view {string}")]
async fn opens_view(world: &mut ShopWorld, view: String) -> anyhow::Result<()> {
    let reply = world.admin().await?.get(&format!("/analytics/views/{view}")).await?;
    world.set(reply);
    Ok(())
}

#[when("the admin asks how fresh the analytics are")]
async fn asks_freshness(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.admin().await?.get("/analytics/freshness").await?;
    world.set(reply);
    Ok(())
}

#[then(expr = "the analytics are less than {int} seconds behind the shop")]
fn fresh(world: &mut ShopWorld, seconds: f64) -> anyhow::Result<()> {
    let reply = world.last()?.clone().expect(200)?;
    let gap = reply.body["freshnessSeconds"].as_f64().context("no freshnessSeconds yet")?;
    ensure!((0.0..seconds).contains(&gap), "{gap} s behind");
    Ok(())
}

/// Every confirmed order the admin can list, page by page.
async fn all_orders(world: &mut ShopWorld) -> anyhow::Result<Vec<Order>> {
    let admin = world.admin().await?;
    let mut orders = Vec::new();
    for page in 0u32.. {
        let batch: Page<Order> = admin.admin_orders(page, 100).await?.expect(200)?.json()?;
        let done = batch.content.len() < 100;
        orders.extend(batch.content);
        if done {
            break;
        }
    }
    Ok(orders)
}

#[then(expr = "within {int} seconds the order figures in analytics match the shop's orders")]
async fn orders_match(world: &mut ShopWorld, seconds: u64) -> anyhow::Result<()> {
    let orders = all_orders(world).await?;
    let confirmed: Vec<&Order> = orders.iter().filter(|o| o.status == "CONFIRMED").collect();
    let count = confirmed.len() as f64;
    let revenue: f64 = confirmed.iter().map(|o| (o.total * 100.0).round()).sum::<f64>() / 100.0;
    within(world, seconds, "vw_order_status_distribution", |rows| {
        let row = rows.iter().find(|r| text(r, "status") == "CONFIRMED").context("no CONFIRMED row")?;
        ensure!(number(row, "order_count") == count, "{row:?}, the shop has {count} orders");
        ensure!((number(row, "total_revenue") - revenue).abs() < 0.005, "{row:?}, the shop took {revenue}");
        Ok(())
    })
    .await
}

#[then(expr = "within {int} seconds the stock figures in analytics match the shop's stock")]
async fn stock_matches(world: &mut ShopWorld, seconds: u64) -> anyhow::Result<()> {
    let titles: std::collections::HashMap<String, String> =
        world.api.all_books("title").await?.into_iter().map(|b: Book| (b.id, b.title)).collect();
    let admin = world.admin().await?;
    let mut expected = Vec::new();
    for page in 0u32.. {
        let batch = StockPage::from_reply(&admin.admin_stock(page, 100).await?.expect(200)?)?;
        let done = batch.content.len() < 100;
        for stock in batch.content {
            let title = titles.get(&stock.book_id).cloned().unwrap_or_default();
            expected.push(format!("{title}|{}|{}", stock.quantity, stock.reserved));
        }
        if done {
            break;
        }
    }
    expected.sort();
    within(world, seconds, "vw_inventory_health", |rows| {
        let mut seen: Vec<String> = rows
            .iter()
            .map(|r| format!("{}|{}|{}", text(r, "title"), number(r, "stock_quantity"), number(r, "reserved")))
            .collect();
        seen.sort();
        ensure!(seen == expected, "analytics {} rows vs the shop's {}", seen.len(), expected.len());
        Ok(())
    })
    .await
}
