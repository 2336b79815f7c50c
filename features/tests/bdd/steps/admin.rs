//! The admin console: books, stock and orders.

use anyhow::{Context as _, ensure};
use bookstore_features::client::{Book, Order, Page, Stock, StockPage};
use cucumber::{given, then, when};
use serde_json::{Value, json};

use crate::world::ShopWorld;

#[when(expr = "the admin adds the book {string} by {string} at {float} with {int} copy/copies")]
async fn adds_book(
    world: &mut ShopWorld,
    title: String,
    author: String,
    price: f64,
    copies: i64,
) -> anyhow::Result<()> {
    let mut book = ShopWorld::book_json(&title, price, copies);
    book["author"] = author.into();
    let reply = world.admin().await?.admin_create_book(&book).await?;
    if reply.status == 201 {
        let created: Book = reply.json()?;
        world.remember_book(&title, &created.id);
    }
    world.set(reply);
    Ok(())
}

#[then(expr = "the answer says where {string} now lives")]
fn says_where(world: &mut ShopWorld, title: String) -> anyhow::Result<()> {
    let reply = world.last()?.clone().expect(201)?;
    let location = reply.header("location").context("no Location header")?;
    ensure!(location == format!("/ecom/admin/books/{}", world.book_id(&title)?), "Location {location}");
    Ok(())
}

#[then(expr = "a visitor finds {string} in the catalog at {float}")]
async fn visitor_finds(world: &mut ShopWorld, title: String, price: f64) -> anyhow::Result<()> {
    let book: Book = world.api.book(&world.book_id(&title)?).await?.expect(200)?.json()?;
    ensure!(book.title == title && book.price == price, "{book:?}");
    Ok(())
}

#[then(expr = "a visitor can no longer find {string}")]
async fn visitor_cannot_find(world: &mut ShopWorld, title: String) -> anyhow::Result<()> {
    let id = world.book_id(&title)?;
    world.api.book(&id).await?.expect(404)?;
    world.api.stock(&id).await?.expect(404)?;
    Ok(())
}

#[given(expr = "a visitor has looked at {string}")]
async fn visitor_looked(world: &mut ShopWorld, title: String) -> anyhow::Result<()> {
    world.api.book(&world.book_id(&title)?).await?.expect(200)?;
    world.api.books(Some("0"), Some("100"), None).await?.expect(200)?;
    Ok(())
}

#[when(expr = "the admin changes the price of {string} to {float}")]
async fn changes_price(world: &mut ShopWorld, title: String, price: f64) -> anyhow::Result<()> {
    let id = world.book_id(&title)?;
    let admin = world.admin().await?;
    let current: Book = admin.admin_book(&id).await?.expect(200)?.json()?;
    let update = json!({
        "title": current.title, "author": current.author, "price": price, "isbn": current.isbn,
        "genre": current.genre, "publishedYear": current.published_year, "description": current.description,
    });
    let reply = admin.admin_update_book(&id, &update).await?.expect(200)?;
    world.set(reply);
    Ok(())
}

#[when(expr = "the admin tries to give {string} an initial stock while editing it")]
async fn edit_with_stock(world: &mut ShopWorld, title: String) -> anyhow::Result<()> {
    let id = world.book_id(&title)?;
    let mut update = ShopWorld::book_json(&title, 10.0, 5);
    update["isbn"] = Value::Null;
    let admin = world.admin().await?;
    let current: Book = admin.admin_book(&id).await?.expect(200)?.json()?;
    update["isbn"] = current.isbn.into();
    let reply = admin.admin_update_book(&id, &update).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "the admin deletes {string}")]
async fn deletes(world: &mut ShopWorld, title: String) -> anyhow::Result<()> {
    let id = world.book_id(&title)?;
    let reply = world.admin().await?.admin_delete_book(&id).await?;
    world.set(reply);
    Ok(())
}

#[then("the book is gone")]
fn book_gone(world: &mut ShopWorld) -> anyhow::Result<()> {
    world.last()?.clone().expect(204)?;
    Ok(())
}

#[when("the admin adds a book with every field wrong")]
async fn every_field_wrong(world: &mut ShopWorld) -> anyhow::Result<()> {
    let body = json!({"title": " ", "price": -1, "isbn": "978-0000000000", "coverUrl": "ftp://x", "initialStock": -5, "publishedYear": 99});
    let reply = world.admin().await?.admin_create_book(&body).await?;
    world.set(reply);
    Ok(())
}

#[then(expr = "every problem is listed: {string}")]
fn every_problem(world: &mut ShopWorld, list: String) -> anyhow::Result<()> {
    let problem = world.last()?.clone().expect(422)?.problem()?;
    let mut names = problem.invalid_names();
    names.sort();
    let mut expected: Vec<String> = list.split(", ").map(str::to_owned).collect();
    expected.sort();
    ensure!(names == expected, "listed {names:?}");
    Ok(())
}

/// `value` is written as JSON (`-1`, `"ftp://x"`, `null`).
#[when(expr = "the admin adds a book whose {word} is {}")]
async fn one_field_wrong(world: &mut ShopWorld, field: String, value: String) -> anyhow::Result<()> {
    let mut book = ShopWorld::book_json("Almost Right", 10.0, 1);
    let value: Value = serde_json::from_str(&value).with_context(|| format!("{value} is not JSON"))?;
    if value.is_null() {
        book.as_object_mut().context("a book is an object")?.remove(&field);
    } else {
        book[&field] = value;
    }
    let reply = world.admin().await?.admin_create_book(&book).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "the admin adds another book with the ISBN of {string} written {string}")]
async fn duplicate_isbn(world: &mut ShopWorld, _title: String, isbn: String) -> anyhow::Result<()> {
    let mut book = ShopWorld::book_json("Copycat", 10.0, 1);
    book["isbn"] = isbn.into();
    let reply = world.admin().await?.admin_create_book(&book).await?;
    world.set(reply);
    Ok(())
}

#[when("the admin lists the books")]
async fn lists_books(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.admin().await?.admin_books(0, 100).await?;
    world.set(reply);
    Ok(())
}

#[then(expr = "the list includes {string}")]
fn list_includes(world: &mut ShopWorld, title: String) -> anyhow::Result<()> {
    let page: Page<Book> = world.last()?.clone().expect(200)?.json()?;
    ensure!(page.content.iter().any(|b| b.title == title), "{title:?} not listed");
    Ok(())
}

#[when("the admin opens a book that does not exist")]
async fn opens_missing(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.admin().await?.admin_book(&uuid::Uuid::new_v4().to_string()).await?;
    world.set(reply);
    Ok(())
}

// Stock.

#[when(expr = "the admin sets the stock of {string} to {int}")]
async fn sets_stock(world: &mut ShopWorld, title: String, quantity: i64) -> anyhow::Result<()> {
    let id = world.book_id(&title)?;
    let reply = world.admin().await?.admin_set_stock(&id, quantity).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "the admin adjusts the stock of {string} by {int}")]
async fn adjusts_stock(world: &mut ShopWorld, title: String, delta: i64) -> anyhow::Result<()> {
    let id = world.book_id(&title)?;
    let reply = world.admin().await?.admin_adjust_stock(&id, delta).await?;
    world.set(reply);
    Ok(())
}

#[when("the admin sets the stock of a book that does not exist")]
async fn sets_missing_stock(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.admin().await?.admin_set_stock(&uuid::Uuid::new_v4().to_string(), 1).await?;
    world.set(reply);
    Ok(())
}

#[then(expr = "the admin sees {int} copies, {int} reserved and {int} available")]
fn admin_sees_stock(world: &mut ShopWorld, quantity: i64, reserved: i64, available: i64) -> anyhow::Result<()> {
    let stock: Stock = world.last()?.clone().expect(200)?.json()?;
    ensure!((stock.quantity, stock.reserved, stock.available) == (quantity, reserved, available), "{stock:?}");
    Ok(())
}

#[then(expr = "a visitor sees {int} copies of {string} available")]
async fn visitor_sees_available(world: &mut ShopWorld, available: i64, title: String) -> anyhow::Result<()> {
    let stock = world.api.stock_of(&world.book_id(&title)?).await?;
    ensure!(stock.available == available, "{stock:?}");
    Ok(())
}

#[when(expr = "the admin lists the stock {int} books per page")]
async fn lists_stock(world: &mut ShopWorld, size: u32) -> anyhow::Result<()> {
    let reply = world.admin().await?.admin_stock(0, size).await?;
    world.set(reply);
    Ok(())
}

#[then(expr = "the admin sees {int} stock lines of at least {int}")]
fn stock_lines(world: &mut ShopWorld, shown: usize, total: u64) -> anyhow::Result<()> {
    let page = StockPage::from_reply(&world.last()?.clone().expect(200)?)?;
    ensure!(
        page.content.len() == shown && page.total_elements >= total,
        "{} of {}",
        page.content.len(),
        page.total_elements
    );
    Ok(())
}

// Orders.

#[when(expr = "the admin opens {word}'s last order")]
async fn admin_opens_order(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let id = world.last_order(&name)?.id.clone();
    let reply = world.admin().await?.admin_order(&id).await?;
    world.set(reply);
    Ok(())
}

#[when("the admin opens an order that does not exist")]
async fn admin_opens_missing_order(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.admin().await?.admin_order(&uuid::Uuid::new_v4().to_string()).await?;
    world.set(reply);
    Ok(())
}

#[then(
    expr = "the admin sees it was placed by {word}, with {int} copy/copies of {string} at {float} and a total of {float}"
)]
async fn admin_sees_order(
    world: &mut ShopWorld,
    name: String,
    quantity: i64,
    title: String,
    price: f64,
    total: f64,
) -> anyhow::Result<()> {
    let order: Order = world.last()?.clone().expect(200)?.json()?;
    let who = world.shopper(&name).await?.subject()?;
    ensure!(order.user_id.as_deref() == Some(who.as_str()), "placed by {:?}, {name} is {who}", order.user_id);
    let line = order.items.iter().find(|i| i.title == title).with_context(|| format!("no {title:?}"))?;
    ensure!(line.quantity == quantity && line.price_at_purchase == price && order.total == total, "{order:?}");
    Ok(())
}

#[then(expr = "the admin's list of recent orders includes {word}'s and {word}'s")]
async fn admin_list_includes(world: &mut ShopWorld, first: String, second: String) -> anyhow::Result<()> {
    let page: Page<Order> = world.admin().await?.admin_orders(0, 100).await?.expect(200)?.json()?;
    for name in [first, second] {
        let id = world.last_order(&name)?.id.clone();
        ensure!(page.content.iter().any(|o| o.id == id), "{name}'s order {id} is not among the 100 newest");
    }
    Ok(())
}

#[then("the admin is told stock cannot go below zero")]
fn below_zero(world: &mut ShopWorld) -> anyhow::Result<()> {
    let problem = world.last()?.clone().expect(409)?.problem()?;
    ensure!(problem.detail.contains("negative"), "{}", problem.detail);
    Ok(())
}
