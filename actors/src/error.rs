//! What can go wrong in a shop operation, in the shop's terms. The HTTP layer maps each to a status code.

use sea_orm::DbErr;
use uuid::Uuid;

use crate::checkout::Shortage;

#[derive(Clone, Debug, thiserror::Error)]
pub enum CommerceError {
    #[error("the cart is empty")]
    EmptyCart,
    #[error("not enough stock")]
    InsufficientStock(Vec<Shortage>),
    #[error("there is no such book")]
    UnknownBook,
    #[error("a cart line holds at most 99 copies")]
    TooMany,
    #[error("there is no such cart item")]
    NoSuchItem,
    #[error("books no longer in the catalog: {0:?}")]
    BooksGone(Vec<Uuid>),
    /// The cart was changed elsewhere (another replica) while a checkout of it ran; nothing was ordered.
    #[error("the cart changed during checkout")]
    CartChanged,
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl From<DbErr> for CommerceError {
    fn from(err: DbErr) -> Self {
        if bookstore_entities::repo::is_unavailable(&err) {
            CommerceError::Unavailable(format!("database unavailable: {err}"))
        } else {
            CommerceError::Internal(err.to_string())
        }
    }
}
