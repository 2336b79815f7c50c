//! Who is calling: a bearer JWT, verified on every protected route against the issuer's signing keys, and the
//! roles it grants. There is no "trusted upstream" path: a request without a valid token is 401, a valid token
//! without the role is 403.
//!
//! Keys are pinned to their algorithm (RS256 for the issuers we accept): a token that names another algorithm for
//! a known key id is rejected, so `alg: none` and HS/RS confusion cannot work.
//!
//! A token that verified is remembered (by the SHA-256 of its bytes) until it expires, so a shopper's next
//! requests skip the RSA check — under checkout load that check was most of the server's own CPU. See
//! `docs/adr/007-verified-token-cache.md`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use moka::sync::Cache;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::edge::error::ApiError;

/// The audience our access tokens carry (`OIDC_AUDIENCE`'s default; Keycloak's audience mapper adds it too).
pub const DEFAULT_AUDIENCE: &str = "bookstore-api";

/// The roles this platform knows; others in a token are ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Customer,
    Admin,
}

/// A verified caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The token's `sub`: stable, and what carts and orders are keyed by.
    pub id: String,
    pub username: Option<String>,
    pub roles: Vec<Role>,
}

impl User {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// For logs: the name when the token has one.
    pub fn display(&self) -> &str {
        self.username.as_deref().unwrap_or(&self.id)
    }
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    /// Seconds since the epoch; required by the validation, and how long a verified token is remembered.
    exp: u64,
    preferred_username: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    /// Keycloak puts realm roles here.
    realm_access: Option<RealmAccess>,
}

#[derive(Deserialize)]
struct RealmAccess {
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the token names no key id")]
    MissingKeyId,
    #[error("the token is signed with an unknown key")]
    UnknownKey,
    #[error("the token's algorithm does not match its key")]
    WrongAlgorithm,
    #[error("the token is invalid: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
}

/// Verifies tokens of one issuer for one audience. Cheap to clone.
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
}

struct Inner {
    /// Accepted `iss` values (the dev issuer answers on several addresses of this same server).
    issuers: Vec<String>,
    audience: String,
    keys: RwLock<HashMap<String, (DecodingKey, Algorithm)>>,
    /// Tokens that verified, by the SHA-256 of their bytes, with their `exp` and the key-set generation they
    /// verified under. Only entries of the current generation count, so a withdrawn key stops working at once.
    verified: Cache<[u8; 32], Verified>,
    /// Moves on every change to `keys`.
    key_generation: AtomicU64,
    /// Wakes the JWKS follower when a token names a key we do not have (an external issuer rotated keys).
    unknown_kid: tokio::sync::Notify,
}

impl Authenticator {
    /// Allowed clock skew for `exp` and `nbf`, in seconds.
    const LEEWAY: u64 = 30;

    pub fn new(issuers: Vec<String>, audience: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(Inner {
                issuers,
                audience: audience.into(),
                keys: RwLock::default(),
                // Bounded: at most ~10 MB however many distinct tokens arrive; an evicted token is simply
                // verified again.
                verified: Cache::builder().max_capacity(50_000).time_to_live(Duration::from_secs(15 * 60)).build(),
                key_generation: AtomicU64::new(0),
                unknown_kid: tokio::sync::Notify::new(),
            }),
        }
    }

    /// Trusts `key` for tokens whose header names `kid`, with exactly this algorithm.
    pub fn add_key(&self, kid: impl Into<String>, key: DecodingKey, algorithm: Algorithm) {
        if let Ok(mut keys) = self.inner.keys.write() {
            keys.insert(kid.into(), (key, algorithm));
        }
        self.keys_changed();
    }

    fn keys_changed(&self) {
        self.inner.key_generation.fetch_add(1, Ordering::SeqCst);
        self.inner.verified.invalidate_all();
    }

    /// The caller a bearer token stands for: from the verified-token cache while the token has not expired,
    /// else by full verification (signature, issuer, audience, time).
    pub fn verify(&self, token: &str) -> Result<User, AuthError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let generation = self.inner.key_generation.load(Ordering::SeqCst);
        if let Some(hit) = self.inner.verified.get(&digest) {
            if hit.generation == generation && unix_now() <= hit.exp.saturating_add(Self::LEEWAY) {
                return Ok(hit.user);
            }
            self.inner.verified.invalidate(&digest);
        }
        let (user, exp) = self.verify_signed(token)?;
        self.inner.verified.insert(digest, Verified { user: user.clone(), exp, generation });
        Ok(user)
    }

    fn verify_signed(&self, token: &str) -> Result<(User, u64), AuthError> {
        let header = decode_header(token)?;
        let kid = header.kid.ok_or(AuthError::MissingKeyId)?;
        let keys = self.inner.keys.read().map_err(|_| AuthError::UnknownKey)?;
        let Some((key, algorithm)) = keys.get(&kid) else {
            self.inner.unknown_kid.notify_one();
            return Err(AuthError::UnknownKey);
        };
        if header.alg != *algorithm {
            return Err(AuthError::WrongAlgorithm);
        }
        let mut validation = Validation::new(*algorithm);
        validation.set_issuer(&self.inner.issuers);
        validation.set_audience(&[&self.inner.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = Self::LEEWAY;
        let claims = decode::<Claims>(token, key, &validation)?.claims;
        let granted = claims.roles.iter().chain(claims.realm_access.iter().flat_map(|r| r.roles.iter()));
        let mut roles = Vec::new();
        for name in granted {
            let role = match name.as_str() {
                "customer" => Role::Customer,
                "admin" => Role::Admin,
                _ => continue,
            };
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        Ok((User { id: claims.sub, username: claims.preferred_username, roles }, claims.exp))
    }
}

/// A remembered verification.
#[derive(Clone)]
struct Verified {
    user: User,
    exp: u64,
    generation: u64,
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Where an external issuer's signing keys are: `OIDC_JWKS_URL`, or the `jwks_uri` of its discovery document.
#[derive(Clone, Debug)]
pub enum JwksSource {
    Url(String),
    Discovery { issuer: String },
}

impl Authenticator {
    /// Keeps the keys of an external issuer (Keycloak) current: fetched now and every 10 minutes, and again
    /// when a token names an unknown key id — at most once per 30 s, so a flood of made-up kids cannot hammer
    /// the issuer. Only RSA signing keys are taken, each pinned to RS256. Runs until dropped.
    pub async fn follow_jwks(self, source: JwksSource) {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default();
        loop {
            match fetch_jwks(&client, &source).await {
                Ok(keys) => {
                    tracing::info!(keys = keys.len(), "loaded the issuer's signing keys");
                    if let Ok(mut current) = self.inner.keys.write() {
                        *current = keys;
                    }
                    self.keys_changed();
                }
                Err(err) => tracing::warn!(error = %err, "cannot load the issuer's signing keys; retrying"),
            }
            let fetched_at = tokio::time::Instant::now();
            let empty = self.inner.keys.read().map(|k| k.is_empty()).unwrap_or(true);
            let wait = if empty { Duration::from_secs(5) } else { Duration::from_secs(600) };
            tokio::select! {
                // An unknown kid: fetch again, but not sooner than 30 s after the last fetch.
                _ = self.inner.unknown_kid.notified() => {
                    tokio::time::sleep(Duration::from_secs(30).saturating_sub(fetched_at.elapsed())).await;
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

async fn fetch_jwks(
    client: &reqwest::Client,
    source: &JwksSource,
) -> anyhow::Result<HashMap<String, (DecodingKey, Algorithm)>> {
    let url = match source {
        JwksSource::Url(url) => url.clone(),
        JwksSource::Discovery { issuer } => {
            let discovery: serde_json::Value = client
                .get(format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/')))
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            discovery["jwks_uri"].as_str().ok_or_else(|| anyhow::anyhow!("discovery has no jwks_uri"))?.to_owned()
        }
    };
    let set: jsonwebtoken::jwk::JwkSet = client.get(&url).send().await?.error_for_status()?.json().await?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let usable = matches!(jwk.algorithm, jsonwebtoken::jwk::AlgorithmParameters::RSA(_))
            && !matches!(jwk.common.public_key_use, Some(jsonwebtoken::jwk::PublicKeyUse::Encryption));
        if let (true, Some(kid)) = (usable, jwk.common.key_id.clone()) {
            keys.insert(kid, (DecodingKey::from_jwk(jwk)?, Algorithm::RS256));
        }
    }
    Ok(keys)
}

fn authenticate(parts: &Parts, auth: &Authenticator) -> Result<User, ApiError> {
    bearer_user(&parts.headers, auth)
}

/// The verified user of a request's `Authorization: Bearer` header.
pub fn bearer_user(headers: &axum::http::HeaderMap, auth: &Authenticator) -> Result<User, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("Sign in: this needs a bearer token.".to_owned()))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .ok_or_else(|| ApiError::Unauthorized("The Authorization header must be `Bearer <token>`.".to_owned()))?;
    auth.verify(token.trim()).map_err(|err| {
        tracing::debug!(error = %err, "rejected token");
        ApiError::Unauthorized("The bearer token is invalid or expired.".to_owned())
    })
}

/// A signed-in shopper (role `customer`).
pub struct Shopper(pub User);

/// A signed-in admin (role `admin`).
pub struct Admin(pub User);

/// The caller, if the bearer token verifies (else 401) and grants `role` (else 403).
fn with_role(parts: &Parts, auth: &Authenticator, role: Role, name: &str) -> Result<User, ApiError> {
    let user = authenticate(parts, auth)?;
    if !user.has(role) {
        return Err(ApiError::Forbidden(format!("This needs the {name} role.")));
    }
    Ok(user)
}

impl<S> FromRequestParts<S> for Shopper
where
    Authenticator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        with_role(parts, &Authenticator::from_ref(state), Role::Customer, "customer").map(Self)
    }
}

impl<S> FromRequestParts<S> for Admin
where
    Authenticator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        with_role(parts, &Authenticator::from_ref(state), Role::Admin, "admin").map(Self)
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header, encode};

    use super::*;

    const ISSUER: &str = "https://issuer.test";

    fn token() -> String {
        let claims = serde_json::json!({
            "iss": ISSUER, "aud": DEFAULT_AUDIENCE, "sub": "ann", "exp": unix_now() + 600, "roles": ["customer"],
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("k1".to_owned());
        let key = EncodingKey::from_rsa_pem(include_bytes!("../../tests/fixtures/test-signing-key.pem")).unwrap();
        encode(&header, &claims, &key).unwrap()
    }

    #[test]
    fn a_remembered_token_stops_working_when_its_key_changes() {
        let auth = Authenticator::new(vec![ISSUER.to_owned()], DEFAULT_AUDIENCE);
        let public =
            DecodingKey::from_rsa_pem(include_bytes!("../../tests/fixtures/test-signing-key.pub.pem")).unwrap();
        auth.add_key("k1", public, Algorithm::RS256);
        let token = token();
        assert_eq!(auth.verify(&token).unwrap().id, "ann");
        assert_eq!(auth.verify(&token).unwrap().id, "ann", "served from memory the second time");

        // The issuer now signs with something else under the same key id: the remembered answer must not count.
        auth.add_key("k1", DecodingKey::from_secret(b"another key"), Algorithm::HS256);
        assert!(matches!(auth.verify(&token), Err(AuthError::WrongAlgorithm)));
    }
}
