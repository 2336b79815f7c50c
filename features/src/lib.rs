//! Cucumber BDD scenarios: the platform's executable specification, written in business language for QA.
//!
//! This library is what the step definitions (in `tests/bdd/`) stand on: [`server`] starts and stops a real
//! `bookstore serve`, [`client`] talks to it over HTTP as a visitor, a shopper or an admin, and [`seed`] names
//! the ten books every fresh store starts with.

pub mod client;
pub mod seed;
pub mod server;
