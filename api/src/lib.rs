//! The Bookstore HTTP layer and the `bookstore` command.
//!
//! Handlers parse requests and shape responses; repositories (in `bookstore-entities`) own the SQL; actors (in
//! `bookstore-actors`) own mutable shop state. This crate wires them together: configuration, the embedded
//! PostgreSQL runtime, the router with its middleware, and the process lifecycle (start-up, graceful shutdown).

pub mod admin;
pub mod analytics;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod csrf;
pub mod db;
pub mod embedded_pg;
pub mod error;
pub mod headers;
pub mod http_cache;
pub mod issuer;
pub mod openapi;
pub mod ops;
pub mod orders;
pub mod params;
pub mod ratelimit;
pub mod redis;
pub mod shop;
pub mod spa;
pub mod startup;
pub mod stock;
pub mod telemetry;

pub use startup::{AppState, router, serve};
