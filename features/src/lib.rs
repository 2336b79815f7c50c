//! Cucumber BDD scenarios: the platform's executable specification, written in business language for QA.
//!
//! The World, step definitions and `.feature` files arrive with the QA issue.
