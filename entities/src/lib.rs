//! The data layer of the Bookstore databases: sea-orm entities, the domain newtypes that cannot hold invalid values,
//! and the repositories that own every SQL statement.
//!
//! HTTP handlers and actors call repositories; nothing outside this crate writes SQL against the shop's tables.
//! Entities are grouped by database (`ecom`, `inventory`) because no query may cross databases.

pub mod entity;
pub mod repo;
pub mod types;

pub use sea_orm::{DatabaseConnection, DbErr};
