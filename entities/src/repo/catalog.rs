//! Catalog reads over `books` in the ecom database: pages in a stable order, substring search, one book by id.

use std::fmt;
use std::str::FromStr;

use sea_orm::ActiveValue::{NotSet, Set, Unchanged};
use sea_orm::sea_query::{Expr, Order};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use thiserror::Error;
use uuid::Uuid;

use crate::entity::ecom::book;
use crate::types::{Page, PageRequest};

/// The orders a catalog listing can be sorted in, as the API names them (`title`, `price,desc`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BookSort {
    pub key: SortKey,
    pub descending: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortKey {
    Title,
    Author,
    Price,
    PublishedYear,
    CreatedAt,
}

impl SortKey {
    const ALL: [(&'static str, SortKey); 5] = [
        ("title", SortKey::Title),
        ("author", SortKey::Author),
        ("price", SortKey::Price),
        ("publishedYear", SortKey::PublishedYear),
        ("createdAt", SortKey::CreatedAt),
    ];

    fn column(self) -> book::Column {
        match self {
            SortKey::Title => book::Column::Title,
            SortKey::Author => book::Column::Author,
            SortKey::Price => book::Column::Price,
            SortKey::PublishedYear => book::Column::PublishedYear,
            SortKey::CreatedAt => book::Column::CreatedAt,
        }
    }
}

impl Default for BookSort {
    fn default() -> Self {
        Self { key: SortKey::Title, descending: false }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("must be one of title, author, price, publishedYear, createdAt, optionally followed by ,asc or ,desc")]
pub struct BookSortError;

impl FromStr for BookSort {
    type Err = BookSortError;

    fn from_str(s: &str) -> Result<Self, BookSortError> {
        let (name, direction) = s.split_once(',').unwrap_or((s, "asc"));
        let descending = match direction {
            "asc" => false,
            "desc" => true,
            _ => return Err(BookSortError),
        };
        let key = SortKey::ALL.iter().find(|(n, _)| *n == name).map(|(_, k)| *k).ok_or(BookSortError)?;
        Ok(Self { key, descending })
    }
}

impl fmt::Display for BookSort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = SortKey::ALL.iter().find(|(_, k)| *k == self.key).map_or("title", |(n, _)| n);
        write!(f, "{name},{}", if self.descending { "desc" } else { "asc" })
    }
}

/// What a shopper typed into the search box: 1 to 200 characters, no control characters, trimmed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SearchText(String);

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SearchTextError {
    #[error("must be 1 to {max} characters", max = SearchText::MAX_CHARS)]
    Length,
    #[error("must not contain control characters")]
    ControlCharacter,
}

impl SearchText {
    pub const MAX_CHARS: usize = 200;

    pub fn new(raw: &str) -> Result<Self, SearchTextError> {
        let text = raw.trim();
        if text.is_empty() || text.chars().count() > Self::MAX_CHARS {
            return Err(SearchTextError::Length);
        }
        if text.chars().any(char::is_control) {
            return Err(SearchTextError::ControlCharacter);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A `LIKE` pattern matching the text anywhere, with `%`, `_` and `\` taken literally.
    fn like_pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.0.len() + 2);
        pattern.push('%');
        for c in self.0.to_lowercase().chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }
}

/// The searchable text of a book; the same expression as the `books_search_idx` trigram index, so the index serves.
const SEARCH_DOCUMENT: &str =
    r"lower(title || E'\x1f' || author || E'\x1f' || genre || E'\x1f' || isbn || E'\x1f' || replace(isbn, '-', ''))";

/// A book as an admin writes it; validated by the caller (the admin console's request types).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookInput {
    pub title: String,
    pub author: String,
    pub price: rust_decimal::Decimal,
    pub description: String,
    pub cover_url: Option<String>,
    pub isbn: String,
    pub genre: String,
    pub published_year: Option<i32>,
}

#[derive(Debug, Error)]
pub enum WriteError {
    #[error("another book already has this ISBN")]
    DuplicateIsbn,
    #[error(transparent)]
    Db(#[from] DbErr),
}

#[derive(Debug, Error)]
pub enum DeleteError {
    #[error("the book has been ordered")]
    HasOrders,
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn write_error(err: DbErr) -> WriteError {
    if super::sql_state(&err).as_deref() == Some(super::UNIQUE_VIOLATION) {
        WriteError::DuplicateIsbn
    } else {
        WriteError::Db(err)
    }
}

/// Reads and admin writes of the catalog. Cheap to clone: the connection is a pool handle.
#[derive(Clone, Debug)]
pub struct CatalogRepo {
    db: DatabaseConnection,
}

impl CatalogRepo {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The books and the sum of their prices (`bookstore reconcile`).
    pub async fn measure(&self) -> Result<super::Measure, DbErr> {
        super::measure::<book::Entity>(&self.db, Expr::col(book::Column::Price), None).await
    }

    /// One page of the whole catalog. The id breaks ties so pages never overlap or skip a book.
    pub async fn list(&self, sort: BookSort, request: PageRequest) -> Result<Page<book::Model>, DbErr> {
        let total = book::Entity::find().count(&self.db).await?;
        let order = if sort.descending { Order::Desc } else { Order::Asc };
        let items = book::Entity::find()
            .order_by(sort.key.column(), order.clone())
            .order_by(book::Column::Id, order)
            .offset(request.offset())
            .limit(u64::from(request.size()))
            .all(&self.db)
            .await?;
        Ok(Page { items, total, request })
    }

    /// Books whose title, author, genre or ISBN contains the text, ignoring case, best-known titles first.
    pub async fn search(&self, text: &SearchText, request: PageRequest) -> Result<Page<book::Model>, DbErr> {
        let matches = || Expr::cust_with_values(format!("{SEARCH_DOCUMENT} LIKE $1"), [text.like_pattern()]);
        let total = book::Entity::find().filter(matches()).count(&self.db).await?;
        let items = book::Entity::find()
            .filter(matches())
            .order_by(book::Column::Title, Order::Asc)
            .order_by(book::Column::Id, Order::Asc)
            .offset(request.offset())
            .limit(u64::from(request.size()))
            .all(&self.db)
            .await?;
        Ok(Page { items, total, request })
    }

    pub async fn get(&self, id: Uuid) -> Result<Option<book::Model>, DbErr> {
        book::Entity::find_by_id(id).one(&self.db).await
    }

    /// The books with these ids that exist (any order).
    pub async fn many(&self, ids: &[Uuid]) -> Result<Vec<book::Model>, DbErr> {
        book::Entity::find().filter(book::Column::Id.is_in(ids.iter().copied())).all(&self.db).await
    }

    pub async fn create(&self, input: BookInput) -> Result<book::Model, WriteError> {
        let row = book::ActiveModel { id: Set(Uuid::new_v4()), ..active(input) };
        book::Entity::insert(row).exec_with_returning(&self.db).await.map_err(write_error)
    }

    /// Replaces a book's fields; `None` when there is no such book. Returns the book before and after.
    pub async fn update(&self, id: Uuid, input: BookInput) -> Result<Option<(book::Model, book::Model)>, WriteError> {
        let Some(before) = self.get(id).await? else { return Ok(None) };
        let row = book::ActiveModel { id: Unchanged(id), ..active(input) };
        let after = row.update(&self.db).await.map_err(|e| match e {
            DbErr::RecordNotUpdated => WriteError::Db(e),
            other => write_error(other),
        })?;
        Ok(Some((before, after)))
    }

    /// Deletes a book that was never ordered; `None` when there is no such book.
    pub async fn delete(&self, id: Uuid) -> Result<Option<book::Model>, DeleteError> {
        let Some(book) = self.get(id).await? else { return Ok(None) };
        match book::Entity::delete_by_id(id).exec(&self.db).await {
            Ok(_) => Ok(Some(book)),
            Err(err) if super::sql_state(&err).as_deref() == Some(super::FOREIGN_KEY_VIOLATION) => {
                Err(DeleteError::HasOrders)
            }
            Err(err) => Err(DeleteError::Db(err)),
        }
    }
}

fn active(input: BookInput) -> book::ActiveModel {
    book::ActiveModel {
        id: NotSet,
        title: Set(input.title),
        author: Set(input.author),
        price: Set(input.price),
        description: Set(input.description),
        cover_url: Set(input.cover_url),
        isbn: Set(input.isbn),
        genre: Set(input.genre),
        published_year: Set(input.published_year),
        created_at: NotSet,
        updated_at: NotSet,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_parses_the_api_names() {
        assert_eq!("title".parse(), Ok(BookSort { key: SortKey::Title, descending: false }));
        assert_eq!("price,desc".parse(), Ok(BookSort { key: SortKey::Price, descending: true }));
        assert_eq!("publishedYear,asc".parse(), Ok(BookSort { key: SortKey::PublishedYear, descending: false }));
        assert_eq!("isbn".parse::<BookSort>(), Err(BookSortError));
        assert_eq!("title,sideways".parse::<BookSort>(), Err(BookSortError));
        assert_eq!("".parse::<BookSort>(), Err(BookSortError));
    }

    #[test]
    fn search_text_is_bounded_and_escaped() {
        assert_eq!(SearchText::new("  "), Err(SearchTextError::Length));
        assert_eq!(SearchText::new(&"a".repeat(201)), Err(SearchTextError::Length));
        assert!(SearchText::new(&"é".repeat(200)).is_ok(), "the limit counts characters, not bytes");
        assert_eq!(SearchText::new("a\u{1f}b"), Err(SearchTextError::ControlCharacter));
        assert_eq!(SearchText::new(" 100%_Off\\ ").unwrap().like_pattern(), r"%100\%\_off\\%");
    }
}
