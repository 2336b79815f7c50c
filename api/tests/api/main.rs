//! One integration-test binary for the HTTP API and the `bookstore` command (zero2prod's layout): every test
//! drives the real interface against real PostgreSQL.

mod helpers;

mod admin;
mod catalog;
mod cli;
mod csrf;
mod errors;
mod headers;
mod identity;
mod materialize_kill;
mod openapi;
mod ops;
mod orders;
mod ratelimit;
mod shop;
mod spa;
mod stock;
mod upstream;
