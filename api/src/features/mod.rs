//! The HTTP features, one router each: what shoppers, admins and dashboards call.

pub mod admin;
pub mod analytics;
pub mod catalog;
pub mod orders;
pub mod shop;
pub mod spa;
pub mod stock;
