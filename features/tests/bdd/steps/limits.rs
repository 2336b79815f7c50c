//! Rate limits. The main server runs with `BOOKSTORE_RATE_LIMITS=off` so no other scenario sees a 429 (anonymous
//! budgets are per IP, and every visitor of the other features is 127.0.0.1). The rate-limit scenarios get servers
//! of their own, started on first use, shared by every rate-limit scenario of the run, and stopped by `main`:
//!
//! - one with the small budgets of [`LIMITS`], kept in the process;
//! - two sharing one Redis ([`REDIS_URL`]) with the budgets of [`SHARED_LIMITS`], started only by the `@redis`
//!   scenario.
//!
//! Every visitor and person of these scenarios sends from an address of their own in 127.0.0.0/8, so scenarios
//! running at the same time never spend each other's budgets.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, anyhow, bail, ensure};
use bookstore_features::client::{Api, Reply, Session};
use bookstore_features::seed;
use bookstore_features::server::{PASSWORD, Server, ServerOptions};
use cucumber::{given, then, when};
use tokio::sync::OnceCell;

use crate::world::ShopWorld;

/// The budgets per minute of the rate-limit scenarios' own shop (the scenarios name them in their `Given`).
pub const LIMITS: &str = "catalog=5,cart=4,checkout=2,admin=3,analytics=3";
/// The budgets of the two servers that share Redis.
pub const SHARED_LIMITS: &str = "cart=4";
/// The Redis the two servers share (`BDD_REDIS_URL` overrides it).
pub const REDIS_URL: &str = "redis://127.0.0.1:6379";

static OPTIONS: OnceLock<ServerOptions> = OnceLock::new();
/// Every server these scenarios started, for [`stop_servers`].
static STARTED: Mutex<Vec<Server>> = Mutex::new(Vec::new());
/// The limited shop's URL (or why it could not start: reported by every scenario, never retried).
static LIMITED: OnceCell<Result<String, String>> = OnceCell::const_new();
/// The two servers sharing Redis, and the shopper of this run only they know.
static SHARED: OnceCell<Result<(Vec<String>, String), String>> = OnceCell::const_new();
static NEXT_ADDRESS: AtomicU32 = AtomicU32::new(0);

/// The main server's options, from which the limited servers are derived.
pub fn configure(options: ServerOptions) {
    let _ = OPTIONS.set(options);
}

/// Stops every server these scenarios started.
pub fn stop_servers() {
    let Ok(mut servers) = STARTED.lock() else { return };
    for mut server in servers.drain(..) {
        server.stop();
    }
}

async fn start(name: &str, rate_limits: &str, redis_url: Option<String>, extra: &[String]) -> anyhow::Result<String> {
    let mut options = OPTIONS.get().context("main configures the rate-limit servers")?.clone();
    options.rate_limits = rate_limits.to_owned();
    options.redis_url = redis_url;
    options.users.extra_shoppers = extra.to_vec();
    options.log_file = options.log_file.with_file_name(format!("server-{name}.log"));
    let server = Server::start(&options).await.with_context(|| format!("starting the {name} server"))?;
    let url = server.base_url.clone();
    STARTED.lock().map_err(|_| anyhow!("the list of started servers is poisoned"))?.push(server);
    Ok(url)
}

/// The limited shop, started on first use.
async fn limited_shop() -> anyhow::Result<String> {
    let started =
        LIMITED.get_or_init(|| async { start("limited", LIMITS, None, &[]).await.map_err(|e| format!("{e:#}")) });
    started.await.clone().map_err(|e| anyhow!(e))
}

/// The two servers sharing Redis and this run's shopper, started on first use.
async fn shared_shops() -> anyhow::Result<(Vec<String>, String)> {
    let started = SHARED.get_or_init(|| async {
        let redis = std::env::var("BDD_REDIS_URL").unwrap_or_else(|_| REDIS_URL.to_owned());
        // Redis outlives the run: a shopper of this run only, so no earlier run's counter can be in the way.
        let shopper = format!("bdd-shared-{}", uuid::Uuid::new_v4().simple());
        let extra = [shopper.clone()];
        let (first, second) = tokio::join!(
            start("shared-1", SHARED_LIMITS, Some(redis.clone()), &extra),
            start("shared-2", SHARED_LIMITS, Some(redis.clone()), &extra),
        );
        match (first, second) {
            (Ok(first), Ok(second)) => Ok((vec![first, second], shopper)),
            (Err(e), _) | (_, Err(e)) => Err(format!("{e:#}")),
        }
    });
    started.await.clone().map_err(|e| anyhow!(e))
}

/// A loopback address no other client of this run uses (127.1.0.1, 127.1.0.2, …).
fn new_address() -> IpAddr {
    let n = NEXT_ADDRESS.fetch_add(1, Ordering::SeqCst);
    IpAddr::V4(Ipv4Addr::new(127, 1 + (n / 62_500) as u8, ((n / 250) % 250) as u8, (n % 250 + 1) as u8))
}

/// Someone on a rate-limited shop: a visitor (known by their address) or a signed-in person.
#[derive(Clone, Debug)]
pub enum Actor {
    Visitor(Api),
    Person(Session),
}

impl Actor {
    async fn get(&self, path: &str) -> anyhow::Result<Reply> {
        match self {
            Self::Visitor(api) => api.get(path).await,
            Self::Person(session) => session.get(path).await,
        }
    }

    fn session(&self) -> anyhow::Result<&Session> {
        match self {
            Self::Person(session) => Ok(session),
            Self::Visitor(_) => bail!("a visitor is not signed in"),
        }
    }
}

/// `who` of this scenario on the shop at `url`: "a visitor"/"the visitor", "another visitor", "the admin", or a
/// shopper's name — each a different client, met on first mention.
async fn actor(world: &mut ShopWorld, who: &str, url: &str) -> anyhow::Result<Actor> {
    let key = format!("{who}@{url}").replace("a visitor", "the visitor");
    if let Some(actor) = world.elsewhere.get(&key) {
        return Ok(actor.clone());
    }
    let api = Api::from_address(url, new_address())?;
    let actor = match who {
        "a visitor" | "the visitor" | "another visitor" => Actor::Visitor(api),
        "the admin" => Actor::Person(api.login(&ShopWorld::take_admin()?, PASSWORD).await?),
        _ => Actor::Person(api.login(&ShopWorld::take_shopper()?, PASSWORD).await?),
    };
    world.elsewhere.insert(key, actor.clone());
    Ok(actor)
}

fn shop_url(world: &ShopWorld) -> anyhow::Result<String> {
    world
        .notes
        .get("limited shop")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .context("no rate-limited shop in this scenario: start with `Given a shop that allows N … requests a minute …`")
}

/// Starts (once) the limited shop and checks the scenario names its budget.
async fn given_budget(world: &mut ShopWorld, tier: &str, budget: u32) -> anyhow::Result<()> {
    let configured = LIMITS
        .split(',')
        .find_map(|entry| entry.strip_prefix(tier).and_then(|rest| rest.strip_prefix('=')))
        .and_then(|n| n.parse::<u32>().ok())
        .with_context(|| format!("no {tier} budget in {LIMITS}"))?;
    ensure!(
        configured == budget,
        "the rate-limited shop allows {configured} {tier} requests a minute, not {budget} (LIMITS in steps/limits.rs)"
    );
    let url = limited_shop().await?;
    world.notes.insert("limited shop".to_owned(), url.into());
    Ok(())
}

#[given(
    regex = r"^a shop that allows (\d+) (catalog|cart|admin|analytics) requests a minute per (?:visitor|shopper|client)$"
)]
async fn allows(world: &mut ShopWorld, budget: u32, tier: String) -> anyhow::Result<()> {
    given_budget(world, &tier, budget).await
}

#[given(regex = r"^a shop that allows (\d+) checkouts a minute per shopper$")]
async fn allows_checkouts(world: &mut ShopWorld, budget: u32) -> anyhow::Result<()> {
    given_budget(world, "checkout", budget).await
}

#[when(
    regex = r"^(a visitor|another visitor|the visitor|the admin|[A-Z][a-z]+) (browses the catalog|looks up the stock of a book|looks at (?:her|his|their) cart|lists the shop's orders|reads the analytics freshness|checks that the shop is alive|checks that the shop is ready|fetches a form token|signs in) (\d+) times in a row$"
)]
async fn does_times(world: &mut ShopWorld, who: String, action: String, times: usize) -> anyhow::Result<()> {
    let url = shop_url(world)?;
    let actor = actor(world, &who, &url).await?;
    let clean_code = seed::id_of("Clean Code").context("Clean Code is a seed book")?;
    let path = match action.as_str() {
        "browses the catalog" => "/ecom/books?size=1".to_owned(),
        "looks up the stock of a book" => format!("/inven/stock/{clean_code}"),
        "lists the shop's orders" => "/ecom/admin/orders?page=0&size=1".to_owned(),
        "reads the analytics freshness" => "/analytics/freshness".to_owned(),
        "checks that the shop is alive" => "/healthz".to_owned(),
        "checks that the shop is ready" => "/readyz".to_owned(),
        "fetches a form token" => "/csrf/token".to_owned(),
        "signs in" => String::new(),
        _ => "/ecom/cart".to_owned(),
    };
    world.replies.clear();
    for _ in 0..times {
        let reply = if path.is_empty() {
            let session = actor.session()?;
            session.api.password_grant(&session.username, PASSWORD).await?
        } else {
            actor.get(&path).await?
        };
        world.replies.push(reply);
    }
    Ok(())
}

#[when(regex = r#"^([A-Z][a-z]+) buys "([^"]+)" (\d+) times in a row$"#)]
async fn buys_times(world: &mut ShopWorld, who: String, title: String, times: usize) -> anyhow::Result<()> {
    let url = shop_url(world)?;
    let actor = actor(world, &who, &url).await?;
    let session = actor.session()?;
    let book_id = world.book_id(&title)?;
    world.replies.clear();
    for _ in 0..times {
        session.add_to_cart(&book_id, 1).await?.expect_success()?;
        world.replies.push(session.checkout(None).await?);
    }
    Ok(())
}

#[then(regex = r#"^([A-Z][a-z]+)'s cart still holds (\d+) cop(?:y|ies) of "([^"]+)"$"#)]
async fn cart_holds(world: &mut ShopWorld, who: String, quantity: i64, title: String) -> anyhow::Result<()> {
    let url = shop_url(world)?;
    let actor = actor(world, &who, &url).await?;
    let book_id = world.book_id(&title)?;
    let items = actor.session()?.cart_items().await?;
    let held: i64 = items.iter().filter(|i| i.book_id == book_id).map(|i| i.quantity).sum();
    ensure!(held == quantity, "{who}'s cart holds {held} of {title:?}, not {quantity}");
    Ok(())
}

#[given(regex = r"^two shop servers that share one budget store allowing (\d+) cart requests a minute per shopper$")]
async fn shared_budget(world: &mut ShopWorld, budget: u32) -> anyhow::Result<()> {
    ensure!(
        SHARED_LIMITS == format!("cart={budget}"),
        "the shared servers run with {SHARED_LIMITS}, not cart={budget}"
    );
    let (urls, _) = shared_shops().await?;
    world.notes.insert("shared shops".to_owned(), urls.into());
    Ok(())
}

#[when(regex = r"^a new shopper looks at their cart (\d+) times, alternating between the servers$")]
async fn alternates(world: &mut ShopWorld, times: usize) -> anyhow::Result<()> {
    let (urls, shopper) = shared_shops().await?;
    let mut sessions = Vec::new();
    for url in &urls {
        sessions.push(Api::from_address(url, new_address())?.login(&shopper, PASSWORD).await?);
    }
    // Redis counts per calendar minute: never start so close to its end that the requests straddle two minutes.
    let into_minute = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64() % 60.0;
    if into_minute > 50.0 {
        tokio::time::sleep(Duration::from_secs_f64(60.5 - into_minute)).await;
    }
    world.replies.clear();
    for i in 0..times {
        world.replies.push(sessions[i % sessions.len()].cart().await?);
    }
    Ok(())
}

fn describe(replies: &[Reply]) -> String {
    replies.iter().map(|r| r.status.to_string()).collect::<Vec<_>>().join(", ")
}

#[then(regex = r"^the first (\d+) times? (?:they are|she is|he is) served$")]
async fn first_served(world: &mut ShopWorld, n: usize) -> anyhow::Result<()> {
    let replies = &world.replies;
    ensure!(replies.len() >= n, "only {} requests were made", replies.len());
    ensure!(
        replies[..n].iter().all(|r| (200..300).contains(&r.status)),
        "not all of the first {n} were served: {}",
        describe(replies)
    );
    Ok(())
}

#[then(regex = r"^the (\d+)(?:st|nd|rd|th) time (?:they are|she is|he is) asked to slow down and told when to retry$")]
async fn slowed_down(world: &mut ShopWorld, n: usize) -> anyhow::Result<()> {
    let reply = world.replies.get(n - 1).with_context(|| format!("only {} requests were made", world.replies.len()))?;
    ensure!(reply.status == 429, "request {n} was not asked to slow down: {}", describe(&world.replies));
    let problem = reply.problem()?;
    ensure!(problem.status == 429, "the problem report says {}", problem.status);
    let retry_after: u64 = reply
        .header("retry-after")
        .context("no Retry-After")?
        .parse()
        .context("Retry-After is not a number of seconds")?;
    ensure!((1..=60).contains(&retry_after), "Retry-After {retry_after} is not within 1–60 s");
    Ok(())
}

#[then("none of those times they are asked to slow down")]
async fn never_slowed(world: &mut ShopWorld) -> anyhow::Result<()> {
    ensure!(!world.replies.is_empty(), "no request was made");
    ensure!(
        world.replies.iter().all(|r| (200..300).contains(&r.status)),
        "not every request was served: {}",
        describe(&world.replies)
    );
    Ok(())
}
