//! The shopper's cart.

use anyhow::{Context as _, ensure};
use bookstore_features::client::CartItem;
use cucumber::{given, then, when};
use serde_json::json;

use crate::world::ShopWorld;

async fn line_of(world: &mut ShopWorld, name: &str, title: &str) -> anyhow::Result<CartItem> {
    let book_id = world.book_id(title)?;
    let items = world.shopper(name).await?.cart_items().await?;
    items.into_iter().find(|i| i.book_id == book_id).with_context(|| format!("{name}'s cart has no {title:?}"))
}

#[given(expr = "{word} has {int} copy/copies of {string} in her/his/their cart")]
async fn has_in_cart(world: &mut ShopWorld, name: String, quantity: i64, title: String) -> anyhow::Result<()> {
    let book_id = world.book_id(&title)?;
    world.shopper(&name).await?.add_to_cart(&book_id, quantity).await?.expect_success()?;
    Ok(())
}

#[when(expr = "{word} adds {int} copy/copies of {string} to her/his/their cart")]
async fn adds_to_cart(world: &mut ShopWorld, name: String, quantity: i64, title: String) -> anyhow::Result<()> {
    let book_id = world.book_id(&title)?;
    let reply = world.shopper(&name).await?.add_to_cart(&book_id, quantity).await?.expect_success()?;
    world.set(reply);
    Ok(())
}

#[then("the cart answers with the new line and where to find it")]
fn answered_new_line(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.last()?.clone().expect(201)?;
    let line: CartItem = reply.json()?;
    let location = reply.header("location").context("no Location")?;
    ensure!(location == format!("/ecom/cart/{}", line.id), "Location {location} for line {}", line.id);
    Ok(())
}

#[then("the cart answers that the line grew, not that a new one was made")]
fn answered_grown_line(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.last()?.clone().expect(200)?;
    ensure!(reply.header("location").is_none(), "a grown line is not a new resource");
    Ok(())
}

#[when(expr = "{word} tries to add {int} copy/copies of {string} to her/his/their cart")]
async fn tries_to_add(world: &mut ShopWorld, name: String, quantity: i64, title: String) -> anyhow::Result<()> {
    let book_id = world.book_id(&title)?;
    let reply = world.shopper(&name).await?.add_to_cart(&book_id, quantity).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} tries to add a book that does not exist to her/his/their cart")]
async fn add_missing_book(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let reply = world.shopper(&name).await?.add_to_cart(&uuid::Uuid::new_v4().to_string(), 1).await?;
    world.set(reply);
    Ok(())
}

/// Malformed additions, as a form in the shop could send them by mistake.
#[when(expr = "{word} tries to add to her/his/their cart {string}")]
async fn add_malformed(world: &mut ShopWorld, name: String, what: String) -> anyhow::Result<()> {
    let clean_code = world.book_id("Clean Code")?;
    let body = match what.as_str() {
        "without saying which book" => json!({ "quantity": 1 }),
        "with a garbled book reference" => json!({ "bookId": "nope", "quantity": 1 }),
        "with the quantity written in words" => json!({ "bookId": clean_code, "quantity": "two" }),
        "with an unexpected extra field" => json!({ "bookId": clean_code, "quantity": 1, "price": 0.01 }),
        other => anyhow::bail!("unknown malformed addition {other:?}"),
    };
    let reply = world.shopper(&name).await?.add_to_cart_raw(&body).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} changes {string} in her/his/their cart to {int} copy/copies")]
async fn changes_line(world: &mut ShopWorld, name: String, title: String, quantity: i64) -> anyhow::Result<()> {
    let line = line_of(world, &name, &title).await?;
    let reply = world.shopper(&name).await?.set_cart_item(&line.id, quantity).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} removes {string} from her/his/their cart")]
async fn removes_line(world: &mut ShopWorld, name: String, title: String) -> anyhow::Result<()> {
    let line = line_of(world, &name, &title).await?;
    let session = world.shopper(&name).await?;
    let reply = session.remove_cart_item(&line.id).await?.expect(204)?;
    world.notes.insert(format!("removed line of {name}"), line.id.into());
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} tries to remove the same line again")]
async fn removes_again(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let id = world.notes[&format!("removed line of {name}")].as_str().unwrap_or_default().to_owned();
    let reply = world.shopper(&name).await?.remove_cart_item(&id).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} tries to change {word}'s {string} line to {int} copies")]
async fn change_other(
    world: &mut ShopWorld,
    name: String,
    owner: String,
    title: String,
    quantity: i64,
) -> anyhow::Result<()> {
    let line = line_of(world, &owner, &title).await?;
    let reply = world.shopper(&name).await?.set_cart_item(&line.id, quantity).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} tries to remove {word}'s {string} line")]
async fn remove_other(world: &mut ShopWorld, name: String, owner: String, title: String) -> anyhow::Result<()> {
    let line = line_of(world, &owner, &title).await?;
    let reply = world.shopper(&name).await?.remove_cart_item(&line.id).await?;
    world.set(reply);
    Ok(())
}

#[then(expr = "{word}'s cart holds {int} copy/copies of {string}")]
async fn cart_holds(world: &mut ShopWorld, name: String, quantity: i64, title: String) -> anyhow::Result<()> {
    let line = line_of(world, &name, &title).await?;
    ensure!(line.quantity == quantity, "{name} has {} copies of {title:?}", line.quantity);
    Ok(())
}

#[then(expr = "{word}'s cart holds {int} copy/copies of {string} at {float} each")]
async fn cart_holds_at(
    world: &mut ShopWorld,
    name: String,
    quantity: i64,
    title: String,
    price: f64,
) -> anyhow::Result<()> {
    let line = line_of(world, &name, &title).await?;
    ensure!(line.quantity == quantity, "{name} has {} copies of {title:?}", line.quantity);
    ensure!(
        line.book.title == title && line.book.price == price,
        "the line shows {:?} at {}",
        line.book.title,
        line.book.price
    );
    Ok(())
}

#[then(expr = "{word}'s cart has {int} line(s)")]
async fn cart_lines(world: &mut ShopWorld, name: String, n: usize) -> anyhow::Result<()> {
    let items = world.shopper(&name).await?.cart_items().await?;
    ensure!(items.len() == n, "{name}'s cart has {} lines", items.len());
    Ok(())
}

#[then(expr = "{word}'s cart holds only {string}")]
async fn cart_only(world: &mut ShopWorld, name: String, title: String) -> anyhow::Result<()> {
    let items = world.shopper(&name).await?.cart_items().await?;
    let titles: Vec<&str> = items.iter().map(|i| i.book.title.as_str()).collect();
    ensure!(titles == [title.as_str()], "{name}'s cart holds {titles:?}");
    Ok(())
}

#[then(expr = "{word}'s cart is empty")]
async fn cart_empty(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let items = world.shopper(&name).await?.cart_items().await?;
    ensure!(items.is_empty(), "{name}'s cart holds {} lines", items.len());
    Ok(())
}
