//! The public catalog: `GET /ecom/books`, `/ecom/books/search`, `/ecom/books/{id}`.
//!
//! Rendered responses sit in a moka cache keyed by request and by catalog *generation*. Any change to `books`, from
//! this process or any other (or psql), fires a PostgreSQL notification; every process then moves to a new
//! generation, so a response rendered from old rows can never be served again, not even one whose load raced
//! with the change. See `docs/adr/003-catalog-cache-invalidation.md`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use bookstore_entities::entity::ecom::book;
use bookstore_entities::repo::catalog::{BookSort, CatalogRepo, SearchText, SearchTextError};
use bookstore_entities::types::{Money, Page, PageRequest};
use chrono::{DateTime, Utc};
use moka::future::Cache;
use sea_orm::sqlx::postgres::PgListener;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::edge::error::{ApiError, Problem};
use crate::edge::http_cache::CachedJson;
use crate::edge::params::{IdPath, QueryParams, page_request};
use crate::runtime::startup::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_books)).routes(routes!(search_books)).routes(routes!(get_book))
}

/// A book as shoppers see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Book {
    pub id: Uuid,
    pub title: String,
    pub author: String,
    pub price: Money,
    pub description: String,
    pub cover_url: Option<String>,
    pub isbn: String,
    pub genre: String,
    pub published_year: Option<i32>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<book::Model> for Book {
    type Error = ApiError;

    fn try_from(m: book::Model) -> Result<Self, ApiError> {
        let price = Money::new(m.price)
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("book {} has an invalid price {}: {e}", m.id, m.price)))?;
        Ok(Self {
            id: m.id,
            title: m.title,
            author: m.author,
            price,
            description: m.description,
            cover_url: m.cover_url,
            isbn: m.isbn,
            genre: m.genre,
            published_year: m.published_year,
            created_at: m.created_at.with_timezone(&Utc),
        })
    }
}

/// A page of a listing, shaped as upstream's Spring `Page` so existing clients keep working.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookPage {
    pub content: Vec<Book>,
    pub total_elements: u64,
    pub total_pages: u64,
    pub number: u32,
    pub size: u32,
}

impl TryFrom<Page<book::Model>> for BookPage {
    type Error = ApiError;

    fn try_from(page: Page<book::Model>) -> Result<Self, ApiError> {
        Ok(Self {
            total_elements: page.total,
            total_pages: page.total_pages(),
            number: page.request.page(),
            size: page.request.size(),
            content: page.items.into_iter().map(Book::try_from).collect::<Result<_, _>>()?,
        })
    }
}

/// What a cached response was rendered for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum CacheKey {
    List(BookSort, PageRequest),
    Search(SearchText, PageRequest),
    Book(Uuid),
}

/// Rendered catalog responses, and books by id for the cart's answers, valid for one catalog generation.
#[derive(Clone)]
pub struct CatalogCache {
    entries: Cache<(u64, CacheKey), Arc<CachedJson>>,
    books: Cache<(u64, Uuid), Book>,
    generation: Arc<AtomicU64>,
}

impl Default for CatalogCache {
    fn default() -> Self {
        Self {
            // Bounded in entries (a page is a few KB) and in age, as a backstop should a notification be lost.
            entries: Cache::builder().max_capacity(10_000).time_to_live(Duration::from_secs(300)).build(),
            books: Cache::builder().max_capacity(100_000).time_to_live(Duration::from_secs(300)).build(),
            generation: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl CatalogCache {
    /// Forgets everything rendered so far. Call after any change to the catalog.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate_all();
        self.books.invalidate_all();
    }

    /// The books with these ids that exist, from the cache where it has them and from the database otherwise.
    pub async fn books(&self, repo: &CatalogRepo, ids: &[Uuid]) -> Result<HashMap<Uuid, Book>, ApiError> {
        let generation = self.generation.load(Ordering::SeqCst);
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        for &id in ids {
            match self.books.get(&(generation, id)).await {
                Some(book) => {
                    found.insert(id, book);
                }
                None => missing.push(id),
            }
        }
        if !missing.is_empty() {
            for model in repo.many(&missing).await? {
                let book = Book::try_from(model)?;
                // Keyed by the generation read before the load: a change that raced with it retires the entry.
                self.books.insert((generation, book.id), book.clone()).await;
                found.insert(book.id, book);
            }
        }
        Ok(found)
    }

    async fn get_or_render<F>(&self, key: CacheKey, render: F) -> Result<Arc<CachedJson>, ApiError>
    where
        F: Future<Output = Result<CachedJson, ApiError>>,
    {
        let generation = self.generation.load(Ordering::SeqCst);
        // Concurrent misses for one key share a single load (moka coalesces them).
        self.entries
            .try_get_with((generation, key), async { render.await.map(Arc::new) })
            .await
            .map_err(|shared: Arc<ApiError>| shared.duplicate())
    }

    /// Follows `catalog_changed` notifications of the ecom database until the task is dropped. Reconnects on its
    /// own; a lost connection may have hidden a change, so it invalidates after every reconnect too.
    pub async fn follow_changes(self, mut listener: PgListener) {
        if let Err(err) = listener.listen("catalog_changed").await {
            tracing::error!(error = %err, "cannot listen for catalog changes; relying on the cache TTL");
            return;
        }
        loop {
            match listener.try_recv().await {
                Ok(Some(_)) => self.invalidate(),
                Ok(None) => {
                    tracing::warn!("catalog change listener reconnected; invalidating the catalog cache");
                    self.invalidate();
                }
                Err(err) => {
                    tracing::warn!(error = %err, "catalog change listener failed; retrying");
                    self.invalidate();
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

async fn render_page(page: Page<book::Model>) -> Result<CachedJson, ApiError> {
    CachedJson::render(&BookPage::try_from(page)?)
}

/// The `sort` query parameter of book lists: `title` (default), `author`, `price`, `publishedYear` or `createdAt`,
/// optionally followed by `,desc`.
pub(crate) fn sort_param(params: &QueryParams) -> Result<BookSort, ApiError> {
    match params.get("sort") {
        None => Ok(BookSort::default()),
        Some(raw) => raw.parse().map_err(|e| ApiError::invalid_param("sort", e)),
    }
}

/// Lists the catalog a page at a time.
#[utoipa::path(get, path = "/ecom/books", tag = "catalog",
    params(
        ("page" = Option<u32>, Query, description = "Page number from 0"),
        ("size" = Option<u32>, Query, description = "Page size, 1 to 100 (default 20)"),
        ("sort" = Option<String>, Query, description = "title, author, price, publishedYear or createdAt, optionally `,desc`"),
    ),
    responses(
        (status = 200, body = BookPage),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_books(
    State(state): State<AppState>,
    params: QueryParams,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let request = page_request(&params)?;
    let sort = sort_param(&params)?;
    let repo = state.catalog.clone();
    let cached = state
        .cache
        .get_or_render(CacheKey::List(sort, request), async { render_page(repo.list(sort, request).await?).await })
        .await?;
    Ok(cached.respond(&headers))
}

/// Finds books whose title, author, genre or ISBN contains the query, ignoring case.
#[utoipa::path(get, path = "/ecom/books/search", tag = "catalog",
    params(
        ("q" = String, Query, description = "1 to 200 characters, not only white space, no control characters"),
        ("page" = Option<u32>, Query, description = "Page number from 0"),
        ("size" = Option<u32>, Query, description = "Page size, 1 to 100 (default 20)"),
    ),
    responses(
        (status = 200, body = BookPage),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn search_books(
    State(state): State<AppState>,
    params: QueryParams,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let raw = params.require("q")?;
    // The limit holds for the text as sent, as the document says; SearchText then trims it.
    if raw.chars().count() > SearchText::MAX_CHARS {
        return Err(ApiError::invalid_param("q", SearchTextError::Length));
    }
    let text = SearchText::new(raw).map_err(|e| ApiError::invalid_param("q", e))?;
    let request = page_request(&params)?;
    let repo = state.catalog.clone();
    let key = CacheKey::Search(text.clone(), request);
    let cached =
        state.cache.get_or_render(key, async { render_page(repo.search(&text, request).await?).await }).await?;
    Ok(cached.respond(&headers))
}

/// One book.
#[utoipa::path(get, path = "/ecom/books/{id}", tag = "catalog",
    params(("id" = Uuid, Path, description = "The book's id")),
    responses(
        (status = 200, body = Book),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_book(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let repo = state.catalog.clone();
    let cached = state
        .cache
        .get_or_render(CacheKey::Book(id), async {
            let book = repo.get(id).await?.ok_or_else(|| ApiError::not_found(format!("There is no book {id}.")))?;
            CachedJson::render(&Book::try_from(book)?)
        })
        .await?;
    Ok(cached.respond(&headers))
}
