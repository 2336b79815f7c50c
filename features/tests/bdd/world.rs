//! The World: one per scenario. It knows the shared server (through [`Context`]), the people of this scenario
//! (each name mapped to a pool user no other scenario uses), the books it made, and the last answers it got.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use anyhow::{Context as _, anyhow, bail};
use bookstore_features::client::{Api, Book, EventStream, Order, Reply, Session};
use bookstore_features::seed;
use bookstore_features::server::{PASSWORD, UserPool};
use serde_json::{Value, json};

/// What every scenario shares: the API of the one server, and counters handing out pool users and ISBNs.
pub struct Context {
    pub api: Api,
    pub pool: UserPool,
    next_shopper: AtomicUsize,
    next_admin: AtomicUsize,
    next_isbn: AtomicU64,
}

static CONTEXT: OnceLock<Context> = OnceLock::new();

/// Called once by `main` after the server is up.
pub fn install(api: Api, pool: UserPool) {
    // A per-run offset keeps made-up ISBNs apart across runs against one long-lived server (BOOKSTORE_URL).
    let start = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let context = Context {
        api,
        pool,
        next_shopper: AtomicUsize::new(1),
        next_admin: AtomicUsize::new(1),
        next_isbn: AtomicU64::new((start % 100_000) * 1000),
    };
    if CONTEXT.set(context).is_err() {
        panic!("the World context is installed once");
    }
}

fn context() -> &'static Context {
    CONTEXT.get().expect("main installs the context before any scenario")
}

#[derive(Debug, cucumber::World)]
#[world(init = Self::new)]
pub struct ShopWorld {
    pub api: Api,
    /// "Ann" → her session; each name is a different pool user in every scenario.
    people: HashMap<String, Session>,
    /// The admin of this scenario.
    admin: Option<Session>,
    /// Books this scenario made, by the title the scenario gave them.
    books: HashMap<String, String>,
    /// The last answer a step got.
    pub reply: Option<Reply>,
    /// Answers of requests sent together (concurrency, rate limits).
    pub replies: Vec<Reply>,
    /// Orders placed in this scenario, per person, oldest first.
    pub orders: HashMap<String, Vec<Order>>,
    /// Anything else a step wants a later step to see.
    pub notes: HashMap<String, Value>,
    /// Open live event streams, by who watches ("Ann", "the admin").
    pub streams: HashMap<String, EventStream>,
    /// The people and visitors of this scenario on the rate-limit scenarios' own servers, by name and server.
    pub elsewhere: HashMap<String, crate::steps::limits::Actor>,
    /// Held for the whole scenario: shared by ordinary scenarios, exclusive for `@serial` ones.
    turn: Option<Turn>,
}

/// A scenario's hold on [`TURNS`].
#[derive(Debug)]
#[expect(dead_code, reason = "held only to be dropped with the World")]
enum Turn {
    Shared(tokio::sync::OwnedRwLockReadGuard<()>),
    Alone(tokio::sync::OwnedRwLockWriteGuard<()>),
}

/// `@serial` scenarios run with no other scenario running (cucumber itself only runs them one at a time).
static TURNS: std::sync::LazyLock<std::sync::Arc<tokio::sync::RwLock<()>>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(tokio::sync::RwLock::new(())));

impl ShopWorld {
    fn new() -> Self {
        Self {
            api: context().api.clone(),
            people: HashMap::new(),
            admin: None,
            books: HashMap::new(),
            reply: None,
            replies: Vec::new(),
            orders: HashMap::new(),
            notes: HashMap::new(),
            streams: HashMap::new(),
            elsewhere: HashMap::new(),
            turn: None,
        }
    }

    /// Waits for this scenario's turn: alone when `serial`, else alongside the other ordinary scenarios.
    pub async fn take_turn(&mut self, serial: bool) {
        let lock = TURNS.clone();
        self.turn =
            Some(if serial { Turn::Alone(lock.write_owned().await) } else { Turn::Shared(lock.read_owned().await) });
    }

    /// A pool shopper no other scenario uses.
    pub fn take_shopper() -> anyhow::Result<String> {
        let context = context();
        let n = context.next_shopper.fetch_add(1, Ordering::SeqCst);
        if n > context.pool.shoppers {
            bail!("the pool of {} shoppers is used up: raise UserPool::shoppers", context.pool.shoppers);
        }
        Ok(UserPool::shopper(n))
    }

    /// A pool admin no other scenario uses.
    pub fn take_admin() -> anyhow::Result<String> {
        let context = context();
        let n = context.next_admin.fetch_add(1, Ordering::SeqCst);
        if n > context.pool.admins {
            bail!("the pool of {} admins is used up: raise UserPool::admins", context.pool.admins);
        }
        Ok(UserPool::admin(n))
    }

    /// The signed-in shopper called `name` in this scenario (signed in on first mention).
    pub async fn shopper(&mut self, name: &str) -> anyhow::Result<Session> {
        if let Some(session) = self.people.get(name) {
            return Ok(session.clone());
        }
        let session = self.api.login(&Self::take_shopper()?, PASSWORD).await?;
        self.people.insert(name.to_owned(), session.clone());
        Ok(session)
    }

    /// The admin of this scenario (signed in on first use).
    pub async fn admin(&mut self) -> anyhow::Result<Session> {
        if let Some(session) = &self.admin {
            return Ok(session.clone());
        }
        let session = self.api.login(&Self::take_admin()?, PASSWORD).await?;
        self.admin = Some(session.clone());
        Ok(session)
    }

    /// Signs in a named user of the pool that is not handed out per scenario (e.g. the clerk).
    pub async fn sign_in_as(&self, username: &str) -> anyhow::Result<Session> {
        self.api.login(username, PASSWORD).await
    }

    /// The id of a book this scenario made, or of a seed book.
    pub fn book_id(&self, title: &str) -> anyhow::Result<String> {
        self.books
            .get(title)
            .cloned()
            .or_else(|| seed::id_of(title).map(str::to_owned))
            .ok_or_else(|| anyhow!("no book called {title:?}: neither a seed book nor one this scenario added"))
    }

    /// A fresh valid ISBN no other book has.
    pub fn new_isbn() -> String {
        seed::isbn13(context().next_isbn.fetch_add(1, Ordering::SeqCst))
    }

    /// A complete, valid book description with `copies` in stock.
    pub fn book_json(title: &str, price: f64, copies: i64) -> Value {
        json!({
            "title": title, "author": "Ada Writer", "price": price, "isbn": Self::new_isbn(),
            "genre": "Fiction", "publishedYear": 2020, "description": "A book made for one scenario.",
            "initialStock": copies
        })
    }

    /// The admin adds a book of this scenario's own, so its stock is nobody else's business.
    pub async fn add_own_book(&mut self, title: &str, price: f64, copies: i64) -> anyhow::Result<Book> {
        self.add_own_book_by(title, "Ada Writer", price, copies).await
    }

    /// [`Self::add_own_book`] with a given author.
    pub async fn add_own_book_by(
        &mut self,
        title: &str,
        author: &str,
        price: f64,
        copies: i64,
    ) -> anyhow::Result<Book> {
        let admin = self.admin().await?;
        let mut json = Self::book_json(title, price, copies);
        json["author"] = author.into();
        let book: Book = admin
            .admin_create_book(&json)
            .await?
            .expect(201)
            .with_context(|| format!("adding the book {title:?}"))?
            .json()?;
        self.books.insert(title.to_owned(), book.id.clone());
        Ok(book)
    }

    /// Remembers a book the scenario made some other way.
    pub fn remember_book(&mut self, title: &str, id: &str) {
        self.books.insert(title.to_owned(), id.to_owned());
    }

    pub fn last(&self) -> anyhow::Result<&Reply> {
        self.reply.as_ref().ok_or_else(|| anyhow!("no request was made yet in this scenario"))
    }

    pub fn set(&mut self, reply: Reply) -> &Reply {
        self.reply.insert(reply)
    }

    /// The last order `name` placed in this scenario.
    pub fn last_order(&self, name: &str) -> anyhow::Result<&Order> {
        self.orders
            .get(name)
            .and_then(|o| o.last())
            .ok_or_else(|| anyhow!("{name} has placed no order in this scenario"))
    }
}
