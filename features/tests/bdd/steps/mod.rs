//! Step definitions, one module per capability. Each step is a few lines over `bookstore_features::client`.

pub mod access;
pub mod admin;
pub mod analytics;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod common;
pub mod lifecycle;
pub mod limits;
pub mod ops;
pub mod orders;
pub mod stock;
