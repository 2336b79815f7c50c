//! Who is calling: bearer-token verification, the built-in dev OIDC issuer, and CSRF tokens for writes.

pub mod auth;
pub mod csrf;
pub mod issuer;
