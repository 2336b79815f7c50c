//! The Bookstore HTTP layer and the `bookstore` command, in four folders: `features` (the HTTP routers),
//! `identity` (who is calling), `edge` (what every request passes through) and `runtime` (the process).
//!
//! Handlers parse requests and shape responses; repositories (in `bookstore-entities`) own the SQL; actors (in
//! `bookstore-actors`) own mutable shop state. This crate wires them together: configuration, the embedded
//! PostgreSQL runtime, the router with its middleware, and the process lifecycle (start-up, graceful shutdown).

pub mod edge;
pub mod features;
pub mod identity;
pub mod runtime;

pub use runtime::startup::{AppState, router, serve};
