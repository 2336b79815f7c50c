//! What every request passes through or may end in: parameter parsing, errors as problem+json, rate limits,
//! security headers, HTTP caching, and the OpenAPI document that declares all of it.

pub mod error;
pub mod headers;
pub mod http_cache;
pub mod openapi;
pub mod params;
pub mod ratelimit;
