//! The process: the `bookstore` command and its settings, the databases (embedded or external), the wiring of
//! the application, health and metrics, logging, and graceful shutdown.

pub mod cli;
pub mod config;
pub mod db;
pub mod embedded_pg;
pub mod ops;
pub mod redis;
pub mod startup;
pub mod telemetry;
