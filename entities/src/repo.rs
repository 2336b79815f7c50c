//! Repositories: the only code that writes SQL against the shop's tables. One per database concern.

pub mod catalog;
pub mod stock;
