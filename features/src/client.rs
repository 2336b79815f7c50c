//! A small typed client of the Bookstore HTTP API (docs/API.md), used by the step definitions.
//!
//! [`Api`] is an anonymous visitor; [`Api::login`] gives a [`Session`] for a signed-in shopper or admin, which
//! carries the bearer token and sends it with a CSRF token on every write: tokens are single use, so each write
//! spends the one the previous write's answer handed back (or a fresh one).
//! Every call returns a [`Reply`] — status, headers and body — so a step can check a refusal as easily as a
//! success; typed views of the bodies ([`Book`], [`Order`], …) come from [`Reply::json`].

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The public OIDC client of the dev issuer.
pub const CLIENT_ID: &str = "ui-client";

/// One HTTP answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body as JSON (`Null` when empty or not JSON; see `text`).
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// The body as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> anyhow::Result<T> {
        serde_json::from_value(self.body.clone())
            .with_context(|| format!("unexpected body for status {}: {}", self.status, self.text))
    }

    /// Fails unless the status is `status`; returns the reply for chaining.
    pub fn expect(self, status: u16) -> anyhow::Result<Self> {
        if self.status != status {
            bail!("expected status {status}, got {}: {}", self.status, self.text);
        }
        Ok(self)
    }

    /// Fails unless the status is 2xx; returns the reply for chaining.
    pub fn expect_success(self) -> anyhow::Result<Self> {
        if !(200..300).contains(&self.status) {
            bail!("expected success, got {}: {}", self.status, self.text);
        }
        Ok(self)
    }

    /// The RFC 9457 problem, if the answer is one.
    pub fn problem(&self) -> anyhow::Result<Problem> {
        let content_type = self.header("content-type").unwrap_or_default();
        if !content_type.starts_with("application/problem+json") {
            bail!("status {} is not a problem+json answer ({content_type}): {}", self.status, self.text);
        }
        self.json()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
}

/// An RFC 9457 problem document.
#[derive(Clone, Debug, Deserialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(default)]
    pub detail: String,
    #[serde(default, rename = "invalid-params")]
    pub invalid_params: Vec<InvalidParam>,
    /// Insufficient stock: the books that are short.
    #[serde(default)]
    pub books: Vec<Shortage>,
}

impl Problem {
    /// The names of the rejected parameters or fields.
    pub fn invalid_names(&self) -> Vec<String> {
        self.invalid_params.iter().map(|p| p.name.clone()).collect()
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct InvalidParam {
    pub name: String,
    pub reason: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shortage {
    pub book_id: String,
    pub title: String,
    pub requested: i64,
    pub available: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Book {
    pub id: String,
    pub title: String,
    pub author: String,
    pub price: f64,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub cover_url: Option<String>,
    pub isbn: String,
    #[serde(default)]
    pub genre: Option<String>,
    #[serde(default)]
    pub published_year: Option<i32>,
    pub created_at: String,
}

/// A page of a listing (`/ecom`: camelCase).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub content: Vec<T>,
    pub total_elements: u64,
    pub total_pages: u64,
    pub number: u32,
    pub size: u32,
}

/// A page of stock rows: `/inven/admin/stock` answers an array (as upstream) and says how many rows there are in
/// all in `X-Total-Count`.
#[derive(Clone, Debug)]
pub struct StockPage {
    pub content: Vec<Stock>,
    pub total_elements: u64,
}

impl StockPage {
    pub fn from_reply(reply: &Reply) -> anyhow::Result<Self> {
        let total = reply.header("x-total-count").context("no X-Total-Count")?.parse()?;
        Ok(Self { content: reply.json()?, total_elements: total })
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Stock {
    pub book_id: String,
    pub quantity: i64,
    pub reserved: i64,
    pub available: i64,
    pub updated_at: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CartItem {
    pub id: String,
    pub book_id: String,
    pub book: Book,
    pub quantity: i64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: String,
    #[serde(default)]
    pub user_id: Option<String>,
    pub total: f64,
    pub status: String,
    #[serde(default)]
    pub created_at: Option<String>,
    pub items: Vec<OrderItem>,
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    #[serde(default)]
    pub next_statuses: Vec<String>,
    /// On one order (not in listings): its life, oldest first.
    #[serde(default)]
    pub timeline: Option<Vec<TimelineEntry>>,
}

/// One step of an order's life.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TimelineEntry {
    pub status: String,
    pub at: String,
    pub by: String,
    pub note: Option<String>,
}

/// An open Server-Sent Events stream (the live order events), read one event at a time.
#[derive(Debug)]
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

/// One Server-Sent Event: its name and its data as JSON.
#[derive(Clone, Debug)]
pub struct ServerEvent {
    pub name: String,
    pub data: Value,
}

impl EventStream {
    /// The next event (comments and keep-alives skipped), or an error after `within`.
    pub async fn next(&mut self, within: Duration) -> anyhow::Result<ServerEvent> {
        let read = async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let field = |name: &str| {
                        block.lines().find_map(|line| line.strip_prefix(name).map(|v| v.trim_start().to_owned()))
                    };
                    if let (Some(name), Some(data)) = (field("event:"), field("data:")) {
                        return Ok(ServerEvent { name, data: serde_json::from_str(&data).unwrap_or(Value::Null) });
                    }
                    continue;
                }
                let Some(chunk) = self.response.chunk().await? else { bail!("the event stream ended") };
                self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        };
        tokio::time::timeout(within, read).await.with_context(|| format!("no event within {within:?}"))?
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    pub book_id: String,
    pub title: String,
    pub quantity: i64,
    pub price_at_purchase: f64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    pub token_type: String,
    pub expires_in: u64,
}

/// Percent-encodes a query or form value (everything but RFC 3986 unreserved characters).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The claims (payload) of a JWT, without verifying it.
pub fn claims_of(token: &str) -> anyhow::Result<Value> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).context("a JWT has three parts")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('='))?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// A JWT's part, base64url without padding (for forging tokens on purpose).
pub fn b64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What a request carries to say who sends it.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    /// The whole `Authorization` header value (`Bearer …`, or something malformed on purpose).
    pub authorization: Option<String>,
    pub csrf: Option<String>,
}

impl Credentials {
    pub fn bearer(token: &str) -> Self {
        Self { authorization: Some(format!("Bearer {token}")), csrf: None }
    }
}

/// The API as an anonymous visitor; cheap to clone.
#[derive(Clone, Debug)]
pub struct Api {
    http: reqwest::Client,
    pub base_url: String,
}

impl Api {
    pub fn new(base_url: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).pool_max_idle_per_host(64).build()?;
        Ok(Self { http, base_url: base_url.trim_end_matches('/').to_owned() })
    }

    /// A visitor whose requests come from `address` (any of 127.0.0.0/8 on Linux): a client of its own wherever
    /// the server tells clients apart by their address (rate limits).
    pub fn from_address(base_url: &str, address: std::net::IpAddr) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).local_address(address).build()?;
        Ok(Self { http, base_url: base_url.trim_end_matches('/').to_owned() })
    }

    /// Any request: `path` may carry a query string; `body` is sent as JSON.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        credentials: &Credentials,
        extra_headers: &[(&str, &str)],
    ) -> anyhow::Result<Reply> {
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.base_url));
        if let Some(authorization) = &credentials.authorization {
            request = request.header("authorization", authorization);
        }
        if let Some(csrf) = &credentials.csrf {
            request = request.header("x-csrf-token", csrf);
        }
        for (name, value) in extra_headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.with_context(|| format!("{method} {path}"))?;
        Self::reply(response).await
    }

    /// Opens a Server-Sent Events stream; an answer other than 200 is returned as the error's reply.
    pub async fn stream(&self, path: &str, credentials: &Credentials) -> anyhow::Result<Result<EventStream, Reply>> {
        let mut request = self.http.get(format!("{}{path}", self.base_url)).timeout(Duration::from_secs(3600));
        if let Some(authorization) = &credentials.authorization {
            request = request.header("authorization", authorization);
        }
        let response = request.send().await.with_context(|| format!("GET {path}"))?;
        if response.status() != 200 {
            return Ok(Err(Self::reply(response).await?));
        }
        Ok(Ok(EventStream { response, buffer: String::new() }))
    }

    async fn reply(response: reqwest::Response) -> anyhow::Result<Reply> {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply { status, headers, body, text })
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Reply> {
        self.send(Method::GET, path, None, &Credentials::default(), &[]).await
    }

    /// `GET` with extra headers (conditional requests).
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> anyhow::Result<Reply> {
        self.send(Method::GET, path, None, &Credentials::default(), headers).await
    }

    /// `GET /ecom/books` with any of page, size and sort.
    pub async fn books(&self, page: Option<&str>, size: Option<&str>, sort: Option<&str>) -> anyhow::Result<Reply> {
        let mut query = Vec::new();
        for (name, value) in [("page", page), ("size", size), ("sort", sort)] {
            if let Some(value) = value {
                query.push(format!("{name}={}", encode(value)));
            }
        }
        self.get(&format!("/ecom/books?{}", query.join("&"))).await
    }

    /// Every book in the catalog, page by page, in the given order.
    pub async fn all_books(&self, sort: &str) -> anyhow::Result<Vec<Book>> {
        let mut books = Vec::new();
        for page in 0.. {
            let reply = self.books(Some(&page.to_string()), Some("100"), Some(sort)).await?.expect(200)?;
            let page: Page<Book> = reply.json()?;
            let done = page.content.len() < 100;
            books.extend(page.content);
            if done {
                break;
            }
        }
        Ok(books)
    }

    pub async fn search(&self, q: &str, size: Option<&str>) -> anyhow::Result<Reply> {
        let size = size.map(|s| format!("&size={}", encode(s))).unwrap_or_default();
        self.get(&format!("/ecom/books/search?q={}{size}", encode(q))).await
    }

    pub async fn book(&self, id: &str) -> anyhow::Result<Reply> {
        self.get(&format!("/ecom/books/{}", encode(id))).await
    }

    pub async fn stock(&self, book_id: &str) -> anyhow::Result<Reply> {
        self.get(&format!("/inven/stock/{}", encode(book_id))).await
    }

    pub async fn stock_of(&self, book_id: &str) -> anyhow::Result<Stock> {
        self.stock(book_id).await?.expect(200)?.json()
    }

    pub async fn stock_bulk(&self, book_ids: &[String]) -> anyhow::Result<Reply> {
        self.get(&format!("/inven/stock/bulk?book_ids={}", encode(&book_ids.join(",")))).await
    }

    /// `POST /auth/token` with a form.
    pub async fn token(&self, form: &[(&str, &str)]) -> anyhow::Result<Reply> {
        self.form("/auth/token", form).await
    }

    /// A form `POST` (the issuer's endpoints).
    pub async fn form(&self, path: &str, form: &[(&str, &str)]) -> anyhow::Result<Reply> {
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.join("&"))
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        Self::reply(response).await
    }

    /// Tokens for a user of the dev issuer (password grant, as scripts and tests use it).
    pub async fn password_grant(&self, username: &str, password: &str) -> anyhow::Result<Reply> {
        self.token(&[
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("username", username),
            ("password", password),
        ])
        .await
    }

    /// Signs in: tokens from the dev issuer.
    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<Session> {
        let tokens: Tokens = self
            .password_grant(username, password)
            .await?
            .expect(200)
            .with_context(|| format!("signing in as {username}"))?
            .json()?;
        Ok(Session {
            api: self.clone(),
            username: username.to_owned(),
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            csrf: Arc::default(),
        })
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct CsrfToken {
    pub token: String,
}

/// A signed-in user: a bearer token, and the CSRF token the next write spends (shared by the session's clones).
#[derive(Clone, Debug)]
pub struct Session {
    pub api: Api,
    pub username: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    csrf: Arc<Mutex<Option<String>>>,
}

impl Session {
    /// The claims of the access token (not verified here: the server does that).
    pub fn claims(&self) -> anyhow::Result<Value> {
        claims_of(&self.access_token)
    }

    /// The token's `sub`: what the shop keys carts and orders by.
    pub fn subject(&self) -> anyhow::Result<String> {
        self.claims()?["sub"].as_str().map(str::to_owned).context("the token has no sub")
    }

    /// The bearer token and a CSRF token for one write: the one the last answer handed back, else a fresh one.
    pub async fn credentials(&self) -> anyhow::Result<Credentials> {
        let held = self.csrf.lock().map_err(|_| anyhow::anyhow!("the CSRF token holder is poisoned"))?.take();
        let csrf = match held {
            Some(token) => token,
            None => self.fresh_csrf().await?,
        };
        Ok(Credentials { authorization: Some(format!("Bearer {}", self.access_token)), csrf: Some(csrf) })
    }

    /// A new CSRF token from `GET /csrf/token`.
    pub async fn fresh_csrf(&self) -> anyhow::Result<String> {
        let reply = self.csrf_token().await?.expect(200).context("fetching a CSRF token")?;
        Ok(reply.json::<CsrfToken>()?.token)
    }

    /// Keeps the CSRF token an answer hands out, for the next write.
    fn follow(&self, reply: Reply) -> Reply {
        if let (Some(next), Ok(mut held)) = (reply.header("x-csrf-token"), self.csrf.lock()) {
            *held = Some(next);
        }
        reply
    }

    /// A read (no CSRF token needed).
    pub async fn get(&self, path: &str) -> anyhow::Result<Reply> {
        self.api.send(Method::GET, path, None, &Credentials::bearer(&self.access_token), &[]).await
    }

    /// A write: bearer and CSRF token.
    pub async fn write(&self, method: Method, path: &str, body: Option<&Value>) -> anyhow::Result<Reply> {
        let credentials = self.credentials().await?;
        Ok(self.follow(self.api.send(method, path, body, &credentials, &[]).await?))
    }

    pub async fn csrf_token(&self) -> anyhow::Result<Reply> {
        self.get("/csrf/token").await
    }

    // The shopper.

    pub async fn cart(&self) -> anyhow::Result<Reply> {
        self.get("/ecom/cart").await
    }

    pub async fn cart_items(&self) -> anyhow::Result<Vec<CartItem>> {
        self.cart().await?.expect(200)?.json()
    }

    pub async fn add_to_cart(&self, book_id: &str, quantity: i64) -> anyhow::Result<Reply> {
        let body = serde_json::json!({ "bookId": book_id, "quantity": quantity });
        self.write(Method::POST, "/ecom/cart", Some(&body)).await
    }

    /// `POST /ecom/cart` with any body (bad input on purpose).
    pub async fn add_to_cart_raw(&self, body: &Value) -> anyhow::Result<Reply> {
        self.write(Method::POST, "/ecom/cart", Some(body)).await
    }

    pub async fn set_cart_item(&self, item_id: &str, quantity: i64) -> anyhow::Result<Reply> {
        let body = serde_json::json!({ "quantity": quantity });
        self.write(Method::PUT, &format!("/ecom/cart/{}", encode(item_id)), Some(&body)).await
    }

    pub async fn remove_cart_item(&self, item_id: &str) -> anyhow::Result<Reply> {
        self.write(Method::DELETE, &format!("/ecom/cart/{}", encode(item_id)), None).await
    }

    pub async fn checkout(&self, idempotency_key: Option<&str>) -> anyhow::Result<Reply> {
        let headers: Vec<(&str, &str)> = idempotency_key.map(|k| ("idempotency-key", k)).into_iter().collect();
        let credentials = self.credentials().await?;
        Ok(self.follow(self.api.send(Method::POST, "/ecom/checkout", None, &credentials, &headers).await?))
    }

    pub async fn orders(&self, page: u32, size: u32) -> anyhow::Result<Reply> {
        self.get(&format!("/ecom/orders?page={page}&size={size}")).await
    }

    pub async fn order(&self, id: &str) -> anyhow::Result<Reply> {
        self.get(&format!("/ecom/orders/{}", encode(id))).await
    }

    /// The shopper's orders in one status (any text: refusals are checked too).
    pub async fn orders_in(&self, status: &str) -> anyhow::Result<Reply> {
        self.get(&format!("/ecom/orders?status={}", encode(status))).await
    }

    pub async fn cancel_order(&self, id: &str, reason: Option<&str>) -> anyhow::Result<Reply> {
        let body = reason.map(|reason| serde_json::json!({ "reason": reason }));
        self.write(Method::POST, &format!("/ecom/orders/{}/cancel", encode(id)), body.as_ref()).await
    }

    /// The live events of one of the shopper's orders.
    pub async fn watch_order(&self, id: &str) -> anyhow::Result<Result<EventStream, Reply>> {
        self.api.stream(&format!("/ecom/orders/{}/events", encode(id)), &Credentials::bearer(&self.access_token)).await
    }

    // The admin.

    pub async fn admin_books(&self, page: u32, size: u32) -> anyhow::Result<Reply> {
        self.get(&format!("/ecom/admin/books?page={page}&size={size}")).await
    }

    pub async fn admin_create_book(&self, book: &Value) -> anyhow::Result<Reply> {
        self.write(Method::POST, "/ecom/admin/books", Some(book)).await
    }

    pub async fn admin_book(&self, id: &str) -> anyhow::Result<Reply> {
        self.get(&format!("/ecom/admin/books/{}", encode(id))).await
    }

    pub async fn admin_update_book(&self, id: &str, book: &Value) -> anyhow::Result<Reply> {
        self.write(Method::PUT, &format!("/ecom/admin/books/{}", encode(id)), Some(book)).await
    }

    pub async fn admin_delete_book(&self, id: &str) -> anyhow::Result<Reply> {
        self.write(Method::DELETE, &format!("/ecom/admin/books/{}", encode(id)), None).await
    }

    pub async fn admin_orders(&self, page: u32, size: u32) -> anyhow::Result<Reply> {
        self.get(&format!("/ecom/admin/orders?page={page}&size={size}")).await
    }

    pub async fn admin_order(&self, id: &str) -> anyhow::Result<Reply> {
        self.get(&format!("/ecom/admin/orders/{}", encode(id))).await
    }

    pub async fn admin_ship(&self, id: &str, carrier: Option<&str>, tracking: Option<&str>) -> anyhow::Result<Reply> {
        let body = serde_json::json!({ "carrier": carrier, "trackingNumber": tracking });
        self.write(Method::POST, &format!("/ecom/admin/orders/{}/ship", encode(id)), Some(&body)).await
    }

    pub async fn admin_deliver(&self, id: &str) -> anyhow::Result<Reply> {
        self.write(Method::POST, &format!("/ecom/admin/orders/{}/deliver", encode(id)), None).await
    }

    pub async fn admin_cancel(&self, id: &str, reason: Option<&str>) -> anyhow::Result<Reply> {
        let body = reason.map(|reason| serde_json::json!({ "reason": reason }));
        self.write(Method::POST, &format!("/ecom/admin/orders/{}/cancel", encode(id)), body.as_ref()).await
    }

    /// Every order's live events.
    pub async fn watch_all_orders(&self) -> anyhow::Result<Result<EventStream, Reply>> {
        self.api.stream("/ecom/admin/events", &Credentials::bearer(&self.access_token)).await
    }

    pub async fn admin_stock(&self, page: u32, size: u32) -> anyhow::Result<Reply> {
        self.get(&format!("/inven/admin/stock?page={page}&size={size}")).await
    }

    pub async fn admin_set_stock(&self, book_id: &str, quantity: i64) -> anyhow::Result<Reply> {
        let body = serde_json::json!({ "quantity": quantity });
        self.write(Method::PUT, &format!("/inven/admin/stock/{}", encode(book_id)), Some(&body)).await
    }

    pub async fn admin_adjust_stock(&self, book_id: &str, delta: i64) -> anyhow::Result<Reply> {
        let body = serde_json::json!({ "delta": delta });
        self.write(Method::POST, &format!("/inven/admin/stock/{}/adjust", encode(book_id)), Some(&body)).await
    }
}
