//! `spawn_app()`: the application on a random port over three fresh databases.
//!
//! The databases are copies of templates migrated once per migration fingerprint (the crates.io backend's
//! pattern): `CREATE DATABASE … TEMPLATE` takes milliseconds, so every test gets its own data. The server is the
//! machine's PostgreSQL (`BOOKSTORE_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`).

use std::time::Duration;

use axum::Router;
use bookstore_actors::{Commerce, CommerceConfig};
use bookstore_api::identity::auth::Authenticator;
use bookstore_api::identity::csrf::{Csrf, MemoryStore};
use bookstore_api::identity::issuer::{DevIssuer, SessionLifetimes};
use bookstore_api::runtime::db::{DatabaseUrls, Databases};
use bookstore_api::runtime::startup::{AppConfig, AppState, BackgroundTasks, build, serve};
use bookstore_migration::testing;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use tokio::net::TcpListener;

pub use bookstore_migration::testing::{Service, database_url, exec, server_url};

/// One test's databases (copies of the migrated templates, `bookstore_migration::testing`) and their URLs in the
/// shape the application takes.
pub struct TestDatabases {
    pub urls: DatabaseUrls,
    copies: testing::TestDatabases,
}

impl TestDatabases {
    pub async fn create() -> Self {
        let copies = testing::TestDatabases::create("api").await;
        let urls = DatabaseUrls {
            ecom: copies.ecom.clone(),
            inventory: copies.inventory.clone(),
            analytics: copies.analytics.clone(),
        };
        Self { urls, copies }
    }

    /// The same databases for another replica: dropped only with the first.
    fn borrowed(&self) -> Self {
        Self { urls: self.urls.clone(), copies: testing::TestDatabases::borrowed(&self.copies) }
    }

    /// The database names (ecom, inventory, analytics).
    pub fn names(&self) -> &[String] {
        self.copies.names()
    }

    /// Drops one database now (to simulate an outage).
    pub async fn drop_database(&self, service: Service) {
        self.copies.drop_database(service).await;
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub databases: TestDatabases,
    /// Direct connections for arranging data and checking results (the API has no write endpoints for some).
    pub ecom: DatabaseConnection,
    pub inventory: DatabaseConnection,
    /// The shop's actors (fault-injection tests crash them; crash-healing tests sweep).
    pub commerce: Commerce,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _background: BackgroundTasks,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    pub async fn get_json(&self, path: &str) -> (reqwest::StatusCode, serde_json::Value) {
        let response = self.get(path).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Requests as a signed-in user (`sub` = `user`) with these roles.
    pub fn as_user(&self, user: &str, roles: &[&str]) -> Session<'_> {
        Session { app: self, token: token(user, roles), csrf: std::sync::Mutex::new(None) }
    }

    pub fn shopper(&self, user: &str) -> Session<'_> {
        self.as_user(user, &["customer"])
    }

    pub fn admin(&self) -> Session<'_> {
        self.as_user("admin1", &["customer", "admin"])
    }

    /// One SQL value (the first column of the first row) from the inventory database.
    pub async fn inventory_value(&self, sql: &str) -> i64 {
        scalar(&self.inventory, sql).await
    }

    pub async fn ecom_value(&self, sql: &str) -> i64 {
        scalar(&self.ecom, sql).await
    }

    /// Starts reading what the outbox relays from now on: its inserts in the ecom database's write-ahead log (the
    /// row itself is deleted in its own transaction), through a `test_decoding` slot dropped with the database.
    pub async fn outbox_log(&self) -> OutboxLog {
        let slot = format!("{}_outbox", self.databases.names()[0]);
        exec(&self.ecom, &format!("SELECT pg_create_logical_replication_slot('{slot}', 'test_decoding')")).await;
        OutboxLog { db: self.ecom.clone(), slot }
    }
}

/// One outbox event as the write-ahead log carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    pub id: String,
    pub event_type: String,
    pub aggregate_id: String,
}

/// The outbox's inserts since [`TestApp::outbox_log`], read without consuming them.
pub struct OutboxLog {
    db: DatabaseConnection,
    slot: String,
}

impl OutboxLog {
    pub async fn events(&self) -> Vec<OutboxEvent> {
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT data FROM pg_logical_slot_peek_changes('{}', NULL, NULL)", self.slot),
            ))
            .await
            .expect("reading the outbox slot");
        let field = |data: &str, name: &str| {
            let start = data.find(&format!(" {name}[")).map(|at| at + 1)?;
            let value = data[start..].split_once(":'")?.1;
            Some(value[..value.find('\'')?].to_owned())
        };
        rows.iter()
            .filter_map(|row| row.try_get::<String>("", "data").ok())
            .filter(|data| data.starts_with("table public.outbox: INSERT:"))
            .map(|data| OutboxEvent {
                id: field(&data, "id").expect("id"),
                event_type: field(&data, "event_type").expect("event_type"),
                aggregate_id: field(&data, "aggregate_id").expect("aggregate_id"),
            })
            .collect()
    }
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), format!("SELECT ({sql})::bigint AS v")))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap();
    row.try_get::<i64>("", "v").unwrap()
}

/// A signed-in client. Writes carry one of the user's CSRF tokens: the one the last write's answer handed back
/// (tokens are single use), else a fresh one.
pub struct Session<'a> {
    pub app: &'a TestApp,
    pub token: String,
    csrf: std::sync::Mutex<Option<String>>,
}

impl Session<'_> {
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.app.client.request(method, self.app.url(path)).bearer_auth(&self.token)
    }

    /// A fresh CSRF token from `GET /csrf/token`.
    pub async fn fresh_csrf_token(&self) -> String {
        let response = self.request(reqwest::Method::GET, "/csrf/token").send().await.unwrap();
        assert_eq!(response.status(), 200, "a signed-in user gets a CSRF token");
        response.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
    }

    /// The token the next write spends: the one the last answer handed back, else a fresh one.
    pub async fn csrf_token(&self) -> String {
        let held = self.csrf.lock().unwrap().take();
        match held {
            Some(token) => token,
            None => self.fresh_csrf_token().await,
        }
    }

    /// Keeps the next token a write's answer hands back, and returns the answer.
    pub fn follow(&self, response: reqwest::Response) -> reqwest::Response {
        if let Some(next) = response.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
            *self.csrf.lock().unwrap() = Some(next.to_owned());
        }
        response
    }

    /// A write request with the CSRF header (send it through [`Self::follow`] to keep the next token).
    pub async fn write(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.request(method, path).header("x-csrf-token", self.csrf_token().await)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path).send().await.unwrap()
    }

    pub async fn json(&self, method: reqwest::Method, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.follow(self.write(method, path).await.json(&body).send().await.unwrap())
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.json(reqwest::Method::POST, path, body).await
    }

    pub async fn put(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.json(reqwest::Method::PUT, path, body).await
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.follow(self.write(reqwest::Method::DELETE, path).await.send().await.unwrap())
    }

    pub async fn checkout(&self, key: Option<&str>) -> reqwest::Response {
        let mut request = self.write(reqwest::Method::POST, "/ecom/checkout").await;
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        self.follow(request.send().await.unwrap())
    }

    /// Puts `quantity` copies of seed book `n` in the cart.
    pub async fn add_seed(&self, n: u32, quantity: i32) {
        let response = self.post("/ecom/cart", serde_json::json!({"bookId": seed_id(n), "quantity": quantity})).await;
        assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// How a test wants its application.
pub struct Options {
    /// Extra routes under the real middleware stack (to reach failure paths).
    pub extra: Router<AppState>,
    pub web_dir: Option<std::path::PathBuf>,
    pub commerce: CommerceConfig,
    /// Run the built-in dev issuer with these users (`name:password:roles,…`).
    pub dev_users: Option<&'static str>,
    /// How long the dev issuer's sign-in sessions live.
    pub sessions: SessionLifetimes,
    /// The CSRF token store; default: in-process with the default expiry.
    pub csrf: Option<Csrf>,
    /// The token verifier; default: the test issuer's key (see [`token`]).
    pub auth: Option<Authenticator>,
    /// Rate limiting; default off (tests send many requests from one address).
    pub rate_limiter: Option<std::sync::Arc<dyn bookstore_api::edge::ratelimit::RateLimiter>>,
    /// Where the live order streams are fed from; default a feed nothing publishes to (tests of the streams run
    /// the in-process CDC reader into one: `orders::events_*`).
    pub order_events: std::sync::Arc<dyn bookstore_materializer::events::OrderEventFeed>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            extra: Router::new(),
            web_dir: None,
            // Tests sweep explicitly; the timer stays out of their way.
            commerce: CommerceConfig {
                sweep_interval: Duration::from_secs(3600),
                sweep_grace: Duration::ZERO,
                ..Default::default()
            },
            dev_users: None,
            order_events: std::sync::Arc::new(bookstore_materializer::events::InProcessFeed::default()),
            sessions: SessionLifetimes::default(),
            csrf: None,
            auth: None,
            rate_limiter: None,
        }
    }
}

pub const ISSUER: &str = "https://issuer.test";
pub const AUDIENCE: &str = "bookstore-api";
const SIGNING_KEY: &[u8] = include_bytes!("../fixtures/test-signing-key.pem");
const VERIFYING_KEY: &[u8] = include_bytes!("../fixtures/test-signing-key.pub.pem");

/// An RS256 token from the test issuer for `sub` with these roles, valid for 15 minutes.
pub fn token(sub: &str, roles: &[&str]) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now, "nbf": now, "exp": now + 900,
        "preferred_username": sub, "roles": roles,
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("test-key".to_owned());
    jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_rsa_pem(SIGNING_KEY).unwrap()).unwrap()
}

pub fn test_authenticator() -> Authenticator {
    let auth = Authenticator::new(vec![ISSUER.to_owned()], AUDIENCE);
    auth.add_key(
        "test-key",
        jsonwebtoken::DecodingKey::from_rsa_pem(VERIFYING_KEY).unwrap(),
        jsonwebtoken::Algorithm::RS256,
    );
    auth
}

pub async fn spawn_app() -> TestApp {
    spawn(Options::default()).await
}

pub async fn spawn(options: Options) -> TestApp {
    start(TestDatabases::create().await, options).await
}

impl TestApp {
    /// Another replica of the application over the same databases, as behind a gateway without affinity: its own
    /// pools, actors, caches and listeners. The databases stay with the first application.
    pub async fn replica(&self) -> TestApp {
        let shared = self.databases.borrowed();
        start(shared, Options::default()).await
    }
}

async fn start(databases: TestDatabases, options: Options) -> TestApp {
    bookstore_api::runtime::telemetry::init(bookstore_api::runtime::telemetry::LogFormat::Pretty);
    let pools = Databases::connect(&databases.urls).await.expect("test databases reachable");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let auth = options.auth.clone().unwrap_or_else(test_authenticator);
    let key_dir = tempfile::tempdir().unwrap();
    let issuer = options.dev_users.map(|users| {
        let users = bookstore_api::identity::issuer::parse_users(users).unwrap();
        let issuer = DevIssuer::start(key_dir.path(), &address, &users, &[], options.sessions).unwrap();
        let (kid, key) = issuer.verifying_key().unwrap();
        auth.add_key(kid, key, jsonwebtoken::Algorithm::RS256);
        issuer
    });
    let auth = match &issuer {
        // The dev issuer's addresses join the test issuer's as accepted `iss` values.
        Some(issuer) => {
            let mut issuers = vec![ISSUER.to_owned()];
            issuers.extend(issuer.issuers().iter().cloned());
            let combined = Authenticator::new(issuers, AUDIENCE);
            combined.add_key(
                "test-key",
                jsonwebtoken::DecodingKey::from_rsa_pem(VERIFYING_KEY).unwrap(),
                jsonwebtoken::Algorithm::RS256,
            );
            let (kid, key) = issuer.verifying_key().unwrap();
            combined.add_key(kid, key, jsonwebtoken::Algorithm::RS256);
            combined
        }
        None => auth,
    };
    let config = AppConfig {
        ecom_url: databases.urls.ecom.clone(),
        web_dir: options.web_dir,
        commerce: options.commerce,
        order_events: options.order_events.clone(),
        auth,
        issuer,
        rate_limiter: options.rate_limiter,
        cors_origins: vec!["https://shop.example".to_owned()],
        csrf: options
            .csrf
            .unwrap_or_else(|| Csrf::new(std::sync::Arc::new(MemoryStore::new(Csrf::DEFAULT_TTL)), Csrf::DEFAULT_TTL)),
    };
    let extra = options.extra;
    let (state, background) = AppState::start(pools, config).await.expect("application starts");
    let commerce = state.commerce.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, build(state, extra), async {
        let _ = rx.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap(),
        ecom: Database::connect(&databases.urls.ecom).await.unwrap(),
        inventory: Database::connect(&databases.urls.inventory).await.unwrap(),
        databases,
        commerce,
        shutdown: Some(tx),
        _background: background,
    }
}

/// Seed ids are `00000000-0000-0000-0000-0000000000NN`.
pub fn seed_id(n: u32) -> String {
    format!("00000000-0000-0000-0000-{n:012}")
}

/// Asserts an RFC 9457 problem response and returns its document.
pub async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status, "status of {}", response.url());
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    let path = response.url().path().to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(), "{body}");
    assert_eq!(body["instance"], path);
    body
}
