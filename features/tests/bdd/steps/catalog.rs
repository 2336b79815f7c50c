//! Browsing and searching the public catalog.

use std::collections::HashSet;

use anyhow::{Context as _, ensure};
use bookstore_features::client::{Book, Page};
use bookstore_features::seed;
use cucumber::{given, then, when};

use crate::world::ShopWorld;

fn page(world: &ShopWorld) -> anyhow::Result<Page<Book>> {
    world.last()?.clone().expect(200)?.json()
}

fn titles(page: &Page<Book>) -> Vec<String> {
    page.content.iter().map(|b| b.title.clone()).collect()
}

fn split_titles(list: &str) -> Vec<String> {
    list.split(" | ").map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect()
}

#[when(expr = "a visitor opens page {int} of the catalog with {int} books per page")]
async fn open_page(world: &mut ShopWorld, page: u32, size: u32) -> anyhow::Result<()> {
    let reply = world.api.books(Some(&(page - 1).to_string()), Some(&size.to_string()), None).await?;
    world.set(reply);
    Ok(())
}

#[then(expr = "they see {int} books")]
fn see_n_books(world: &mut ShopWorld, n: usize) -> anyhow::Result<()> {
    let page = page(world)?;
    ensure!(page.content.len() == n, "saw {} books: {:?}", page.content.len(), titles(&page));
    Ok(())
}

#[then(expr = "the catalog says it holds at least {int} books")]
fn holds_at_least(world: &mut ShopWorld, n: u64) -> anyhow::Result<()> {
    let page = page(world)?;
    ensure!(page.total_elements >= n, "the catalog holds {}", page.total_elements);
    ensure!(page.total_pages == page.total_elements.div_ceil(u64::from(page.size)), "page count is wrong");
    Ok(())
}

#[when(expr = "a visitor reads the whole catalog {int} books at a time sorted by {string}")]
async fn read_whole_catalog(world: &mut ShopWorld, size: u32, sort: String) -> anyhow::Result<()> {
    let mut seen = Vec::new();
    for number in 0u32.. {
        let reply = world.api.books(Some(&number.to_string()), Some(&size.to_string()), Some(&sort)).await?;
        let page: Page<Book> = reply.expect(200)?.json()?;
        ensure!(page.content.len() <= size as usize, "a page holds more than asked");
        let done = u64::from(number) + 1 >= page.total_pages;
        seen.extend(page.content.into_iter().map(|b| b.id));
        if done {
            break;
        }
    }
    world.notes.insert("seen".into(), serde_json::to_value(seen)?);
    Ok(())
}

#[then("every book appears exactly once")]
fn every_book_once(world: &mut ShopWorld) -> anyhow::Result<()> {
    let seen: Vec<String> = serde_json::from_value(world.notes["seen"].clone())?;
    let unique: HashSet<&String> = seen.iter().collect();
    ensure!(unique.len() == seen.len(), "{} repeats across pages", seen.len() - unique.len());
    Ok(())
}

#[then(expr = "all {int} original books are there")]
fn all_originals_there(world: &mut ShopWorld, n: usize) -> anyhow::Result<()> {
    let seen: Vec<String> = serde_json::from_value(world.notes["seen"].clone())?;
    let originals = seen.iter().filter(|id| seed::is_seed(id)).count();
    ensure!(originals == n, "found {originals} of the original books");
    Ok(())
}

#[when(expr = "a visitor sorts the catalog by {string}")]
async fn sort_catalog(world: &mut ShopWorld, sort: String) -> anyhow::Result<()> {
    let books = world.api.all_books(&sort).await?;
    let originals: Vec<String> = books.into_iter().filter(|b| seed::is_seed(&b.id)).map(|b| b.title).collect();
    world.notes.insert("originals".into(), serde_json::to_value(originals)?);
    Ok(())
}

#[then(expr = "among the original books {string} comes first and {string} comes last")]
fn first_and_last(world: &mut ShopWorld, first: String, last: String) -> anyhow::Result<()> {
    let originals: Vec<String> = serde_json::from_value(world.notes["originals"].clone())?;
    ensure!(originals.len() == 10, "expected the 10 original books, saw {originals:?}");
    ensure!(originals.first() == Some(&first) && originals.last() == Some(&last), "the order was {originals:?}");
    Ok(())
}

#[when(expr = "a visitor opens the book {string}")]
async fn open_book(world: &mut ShopWorld, title: String) -> anyhow::Result<()> {
    let id = world.book_id(&title)?;
    let reply = world.api.book(&id).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "a visitor opens the book with id {string}")]
async fn open_book_by_id(world: &mut ShopWorld, id: String) -> anyhow::Result<()> {
    let reply = world.api.book(&id).await?;
    world.set(reply);
    Ok(())
}

#[when("a visitor opens a book that does not exist")]
async fn open_missing_book(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.api.book(&uuid::Uuid::new_v4().to_string()).await?;
    world.set(reply);
    Ok(())
}

#[then(expr = "they see the book written by {string} priced {float}")]
fn see_book(world: &mut ShopWorld, author: String, price: f64) -> anyhow::Result<()> {
    let book: Book = world.last()?.clone().expect(200)?.json()?;
    ensure!(book.author == author, "author {:?}", book.author);
    ensure!(book.price == price, "price {}", book.price);
    Ok(())
}

#[then(expr = "the book has ISBN {string}, genre {string} and was published in {int}")]
fn book_details(world: &mut ShopWorld, isbn: String, genre: String, year: i32) -> anyhow::Result<()> {
    let book: Book = world.last()?.json()?;
    ensure!(book.isbn == isbn, "isbn {:?}", book.isbn);
    ensure!(book.genre.as_deref() == Some(genre.as_str()), "genre {:?}", book.genre);
    ensure!(book.published_year == Some(year), "year {:?}", book.published_year);
    ensure!(book.description.is_some_and(|d| !d.is_empty()), "no description");
    Ok(())
}

#[then(expr = "the price is written exactly as {string}")]
fn price_written(world: &mut ShopWorld, text: String) -> anyhow::Result<()> {
    let needle = format!("\"price\":{text}");
    ensure!(world.last()?.text.contains(&needle), "{needle} not in {}", world.last()?.text);
    Ok(())
}

#[when(expr = "a visitor asks for the catalog with {string}")]
async fn catalog_with_query(world: &mut ShopWorld, query: String) -> anyhow::Result<()> {
    let reply = world.api.get(&format!("/ecom/books?{query}")).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "a visitor opens page {int} of the catalog, far past the end")]
async fn far_page(world: &mut ShopWorld, page: u32) -> anyhow::Result<()> {
    let reply = world.api.books(Some(&(page - 1).to_string()), Some("4"), None).await?;
    world.set(reply);
    Ok(())
}

#[then("the page is empty but still tells how many books there are")]
fn empty_page(world: &mut ShopWorld) -> anyhow::Result<()> {
    let page = page(world)?;
    ensure!(
        page.content.is_empty() && page.total_elements >= 10,
        "{} books, total {}",
        page.content.len(),
        page.total_elements
    );
    Ok(())
}

#[given("a visitor has read the first page of the catalog")]
async fn read_first_page(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.api.books(Some("0"), Some("3"), None).await?.expect(200)?;
    let etag = reply.header("etag").context("the catalog answer has no ETag")?;
    world.notes.insert("etag".into(), etag.into());
    world.set(reply);
    Ok(())
}

#[when("they read it again, saying which version they already have")]
async fn read_again_conditionally(world: &mut ShopWorld) -> anyhow::Result<()> {
    let etag = world.notes["etag"].as_str().unwrap_or_default().to_owned();
    let reply = world.api.get_with("/ecom/books?page=0&size=3", &[("if-none-match", &etag)]).await?;
    world.set(reply);
    Ok(())
}

#[then("they are told nothing has changed, without the books being sent again")]
fn not_modified(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.last()?;
    ensure!(reply.status == 304, "status {}", reply.status);
    ensure!(reply.text.is_empty(), "a 304 has no body");
    Ok(())
}

#[when(expr = "a visitor searches for {string}")]
async fn search(world: &mut ShopWorld, query: String) -> anyhow::Result<()> {
    let reply = world.api.search(&query, None).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "a visitor searches for {string}, {int} result per page")]
async fn search_paged(world: &mut ShopWorld, query: String, size: u32) -> anyhow::Result<()> {
    let reply = world.api.search(&query, Some(&size.to_string())).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "a visitor searches for a {int}-character text")]
async fn search_long(world: &mut ShopWorld, length: usize) -> anyhow::Result<()> {
    let reply = world.api.search(&"a".repeat(length), None).await?;
    world.set(reply);
    Ok(())
}

#[then(expr = "they find exactly: {string}")]
fn find_exactly(world: &mut ShopWorld, list: String) -> anyhow::Result<()> {
    let page = page(world)?;
    let mut found = titles(&page);
    found.sort();
    let mut expected = split_titles(&list);
    expected.sort();
    ensure!(found == expected, "found {found:?}");
    Ok(())
}

#[then("they find nothing")]
fn find_nothing(world: &mut ShopWorld) -> anyhow::Result<()> {
    let page = page(world)?;
    ensure!(page.total_elements == 0 && page.content.is_empty(), "found {:?}", titles(&page));
    Ok(())
}

#[then(expr = "they see {int} of {int} matching books")]
fn see_m_of_n(world: &mut ShopWorld, shown: usize, total: u64) -> anyhow::Result<()> {
    let page = page(world)?;
    ensure!(
        page.content.len() == shown && page.total_elements == total,
        "{} of {}",
        page.content.len(),
        page.total_elements
    );
    Ok(())
}
