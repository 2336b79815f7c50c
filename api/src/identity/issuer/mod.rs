//! The built-in dev OIDC issuer of the embedded default: discovery, a real login page, authorization code with
//! PKCE S256 (required), token grants (authorization_code, refresh_token, password), JWKS, revocation and logout.
//!
//! It exists so one command gives a working shop with real OIDC flows and no Keycloak; it is off whenever
//! `OIDC_ISSUER_URL` names a real issuer. Users come from `BOOKSTORE_DEV_USERS`; passwords are argon2 hashes
//! checked in constant time, and repeated failures for a name are throttled. The RS256 signing key is generated
//! once and kept in the data dir, so tokens survive a restart.
//!
//! Signing in starts a sign-in session, as Keycloak's: an HttpOnly cookie scoped to `/auth` (SameSite=Lax, Secure
//! when the public URL is https) with an idle and an absolute lifetime. While it lives, an authorization request
//! is answered with a code without the login page (`prompt=none` included, which is how the web app signs in
//! again after a reload or in a new tab, its tokens being in memory only); without it, `prompt=none` answers
//! `login_required`. Refresh tokens belong to their session: using one keeps the session alive, and ending the
//! session (`/auth/logout`, by its cookie, a refresh token or an ID token of it) ends them all. Codes, sessions and
//! refresh tokens live in memory: a restart signs everyone out, which is fine for a development issuer.
//!
//! This file holds the issuer's state (users, sign-in sessions, codes, refresh tokens) and mints tokens; `keys`
//! holds the signing key and what is published about it, `pages` the browser's sign-in, `grants` the token
//! endpoint, revocation and logout.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use moka::sync::Cache;
use rand::RngCore;
use rand::rngs::OsRng;
use rsa::RsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use grants::{OAuthError, logout_get, logout_post, revoke, token};
use keys::{digest, discovery, hex, jwks, load_or_create_key, random_token};
use pages::{authorize_page, authorize_submit};

mod grants;
mod keys;
mod pages;

/// The one client the dev issuer knows: the SPA (a public client, so PKCE is its proof).
pub const CLIENT_ID: &str = "ui-client";
const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;
const REFRESH_TOKEN_TTL: Duration = Duration::from_secs(8 * 3600);
const CODE_TTL: Duration = Duration::from_secs(60);
/// The sign-in session's cookie, scoped to the issuer's paths.
const SESSION_COOKIE: &str = "bookstore_session";
/// After this many failed sign-ins for a name within `FAILURE_WINDOW`, that name is refused until it passes.
const MAX_FAILURES: u32 = 5;
const FAILURE_WINDOW: Duration = Duration::from_secs(300);

/// One `BOOKSTORE_DEV_USERS` entry: `name:password:role+role`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevUserSpec {
    pub name: String,
    pub password: String,
    pub roles: Vec<String>,
}

/// Parses `user1:pw:customer,admin1:pw:customer+admin`.
pub fn parse_users(raw: &str) -> Result<Vec<DevUserSpec>, String> {
    let mut users = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let mut parts = entry.splitn(3, ':');
        let (Some(name), Some(password), Some(roles)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("`{}` is not name:password:roles", entry.split(':').next().unwrap_or("")));
        };
        let roles: Vec<String> = roles.split('+').map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned).collect();
        if name.is_empty() || password.len() < 4 || roles.iter().any(|r| r != "customer" && r != "admin") {
            return Err(format!(
                "user `{name}` needs a name, a password of 4+ characters and roles from customer, admin"
            ));
        }
        users.push(DevUserSpec { name: name.to_owned(), password: password.to_owned(), roles });
    }
    if users.is_empty() {
        return Err("no users".to_owned());
    }
    Ok(users)
}

/// Why the dev issuer must not start where it was asked to, unless the operator allows it explicitly
/// (`BOOKSTORE_ALLOW_DEV_ISSUER`): `None` when it may.
///
/// The README publishes the default users' passwords, so those users served on an address other hosts reach hand
/// an admin token to anyone; and external databases mean a shop others depend on, where sign-in must come from a
/// real issuer. A loopback address with users of the operator's own (the local cluster's identity service) is fine.
pub fn exposure(addr: std::net::SocketAddr, users: &[DevUserSpec], external_databases: bool) -> Option<String> {
    let published = parse_users(crate::runtime::config::DEFAULT_DEV_USERS).unwrap_or_default();
    let exposed: Vec<&str> = users
        .iter()
        .filter(|u| published.iter().any(|p| p.name == u.name && p.password == u.password))
        .map(|u| u.name.as_str())
        .collect();
    if external_databases {
        Some(
            "the built-in dev issuer would sign people in beside external databases (ECOM_DATABASE_URL…); set \
             OIDC_ISSUER_URL to a real issuer, or BOOKSTORE_ALLOW_DEV_ISSUER=true to run it anyway"
                .to_owned(),
        )
    } else if !addr.ip().is_loopback() && !exposed.is_empty() {
        Some(format!(
            "the built-in dev issuer would serve the published users {} on BOOKSTORE_HTTP_ADDR={addr}, reachable from \
             other hosts; set BOOKSTORE_DEV_USERS to users of your own, OIDC_ISSUER_URL to a real issuer, or \
             BOOKSTORE_ALLOW_DEV_ISSUER=true to run it anyway",
            exposed.join(", ")
        ))
    } else {
        None
    }
}

struct DevUser {
    password_hash: String,
    roles: Vec<String>,
}

/// How long a sign-in session lives: `idle` after its last use (an authorization answered from it, a refresh
/// token of it spent), and `max` after signing in, however busy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionLifetimes {
    pub idle: Duration,
    pub max: Duration,
}

impl Default for SessionLifetimes {
    /// A working day idle (lunch included), a week at most.
    fn default() -> Self {
        Self { idle: Duration::from_secs(8 * 3600), max: Duration::from_secs(7 * 24 * 3600) }
    }
}

/// A sign-in session: who signed in, when, and when the session was last used.
#[derive(Clone)]
struct SignInSession {
    user: String,
    /// When the user signed in (seconds since the epoch): ID tokens carry it as `auth_time`.
    auth_time: i64,
    started: Instant,
    last_used: Instant,
}

/// An authorization code waiting to be exchanged.
#[derive(Clone)]
struct PendingCode {
    user: String,
    redirect_uri: String,
    challenge: String,
    nonce: Option<String>,
    scope: String,
    issuer: String,
    auth_time: i64,
    /// The sign-in session the code was issued in.
    sid: String,
}

/// What a refresh token stands for.
#[derive(Clone)]
struct RefreshSession {
    user: String,
    scope: String,
    issuer: String,
    /// When the user actually signed in: refreshed ID tokens keep it (OIDC Core 12.2).
    auth_time: i64,
    /// The sign-in session it belongs to; `None` for the password grant, which signs in no browser.
    sid: Option<String>,
}

/// Who a token is minted for, and in which sign-in.
struct Grant<'a> {
    issuer: &'a str,
    user: &'a str,
    scope: &'a str,
    nonce: Option<&'a str>,
    auth_time: i64,
    sid: Option<&'a str>,
}

/// The dev issuer. Cheap to clone.
#[derive(Clone)]
pub struct DevIssuer {
    inner: Arc<Inner>,
}

struct Inner {
    key: EncodingKey,
    kid: String,
    modulus: String,
    exponent: String,
    public_url: String,
    issuers: Vec<String>,
    redirect_origins: Vec<String>,
    users: HashMap<String, DevUser>,
    /// Verified against when the name is unknown, so timing does not reveal which names exist.
    dummy_hash: String,
    codes: Cache<String, PendingCode>,
    refresh: Cache<String, RefreshSession>,
    failures: Cache<String, u32>,
    /// Sign-in sessions by the digest of their cookie (the digest is also the `sid` claim).
    sessions: Cache<String, SignInSession>,
    lifetimes: SessionLifetimes,
    /// Whether browsers reach the issuer over https (the cookie is `Secure` then).
    secure: bool,
}

impl DevIssuer {
    /// Loads the signing key from `data_dir` (creating it on first use) and hashes the users' passwords.
    /// `public_url` is where browsers reach this server (`http://127.0.0.1:8080`).
    pub fn start(
        data_dir: &Path,
        public_url: &str,
        users: &[DevUserSpec],
        extra_origins: &[String],
        lifetimes: SessionLifetimes,
    ) -> anyhow::Result<Self> {
        let key = load_or_create_key(&data_dir.join("dev-issuer-key.pem"))?;
        let public = key.to_public_key();
        let modulus = URL_SAFE_NO_PAD.encode(public.n().to_bytes_be());
        let exponent = URL_SAFE_NO_PAD.encode(public.e().to_bytes_be());
        let kid = hex(&Sha256::digest(modulus.as_bytes())[..8]);
        let pem = key.to_pkcs8_pem(LineEnding::LF).context("encoding the signing key")?;
        let key = EncodingKey::from_rsa_pem(pem.as_bytes()).context("loading the signing key")?;

        let public_url = public_url.trim_end_matches('/').to_owned();
        let port = public_url.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()).unwrap_or(80);
        let mut origins =
            vec![public_url.clone(), format!("http://localhost:{port}"), format!("http://127.0.0.1:{port}")];
        origins.dedup();
        let issuers = origins.iter().map(|o| format!("{o}/auth")).collect();
        let redirect_origins = origins.iter().cloned().chain(extra_origins.iter().cloned()).collect();
        let hash = |password: &str| -> anyhow::Result<String> {
            let salt = SaltString::generate(&mut OsRng);
            Ok(Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .to_string())
        };
        let mut hashed = HashMap::new();
        for user in users {
            hashed
                .insert(user.name.clone(), DevUser { password_hash: hash(&user.password)?, roles: user.roles.clone() });
        }
        Ok(Self {
            inner: Arc::new(Inner {
                key,
                kid,
                modulus,
                exponent,
                issuers,
                redirect_origins,
                users: hashed,
                dummy_hash: hash("not a real password")?,
                codes: Cache::builder().time_to_live(CODE_TTL).max_capacity(10_000).build(),
                refresh: Cache::builder().time_to_live(REFRESH_TOKEN_TTL).max_capacity(100_000).build(),
                failures: Cache::builder().time_to_live(FAILURE_WINDOW).max_capacity(100_000).build(),
                sessions: Cache::builder().time_to_live(lifetimes.max).max_capacity(100_000).build(),
                lifetimes,
                secure: public_url.starts_with("https://"),
                public_url,
            }),
        })
    }

    /// Every `iss` this issuer may put in a token (one per way of reaching this server).
    pub fn issuers(&self) -> &[String] {
        &self.inner.issuers
    }

    /// The key id and public key, for the token verifier in this same process.
    pub fn verifying_key(&self) -> anyhow::Result<(String, DecodingKey)> {
        let key = DecodingKey::from_rsa_components(&self.inner.modulus, &self.inner.exponent).context("public key")?;
        Ok((self.inner.kid.clone(), key))
    }

    /// The issuer's routes, under `/auth`.
    pub fn router<S>(&self) -> Router<S> {
        Router::new()
            .route("/auth/.well-known/openid-configuration", get(discovery))
            .route("/auth/authorize", get(authorize_page).post(authorize_submit))
            .route("/auth/token", axum::routing::post(token))
            .route("/auth/jwks", get(jwks))
            .route("/auth/revoke", axum::routing::post(revoke))
            .route("/auth/logout", get(logout_get).post(logout_post))
            .with_state(self.clone())
    }

    /// The issuer the caller addressed (by Host), if it is one of ours; else the public one.
    fn issuer_for(&self, headers: &HeaderMap) -> String {
        let by_host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(|host| format!("http://{host}/auth"));
        match by_host {
            Some(issuer) if self.inner.issuers.contains(&issuer) => issuer,
            _ => format!("{}/auth", self.inner.public_url),
        }
    }

    fn redirect_allowed(&self, uri: &str) -> bool {
        self.inner
            .redirect_origins
            .iter()
            .any(|origin| uri.strip_prefix(origin.as_str()).is_some_and(|rest| rest.starts_with('/')))
    }

    /// Checks a name and password in constant time, with failures throttled per name.
    fn check_password(&self, name: &str, password: &str) -> Result<(), LoginError> {
        let throttle_key = name.to_lowercase();
        if self.inner.failures.get(&throttle_key).unwrap_or(0) >= MAX_FAILURES {
            return Err(LoginError::Throttled);
        }
        let user = self.inner.users.get(name);
        let hash = user.map_or(self.inner.dummy_hash.as_str(), |u| u.password_hash.as_str());
        let matches = PasswordHash::new(hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        if matches && user.is_some() {
            self.inner.failures.invalidate(&throttle_key);
            Ok(())
        } else {
            let failures = self.inner.failures.get(&throttle_key).unwrap_or(0) + 1;
            self.inner.failures.insert(throttle_key, failures);
            Err(LoginError::Wrong)
        }
    }

    /// Tokens for a grant: an access token, an ID token (with `auth_time`, and `sid` when a sign-in session
    /// stands behind it) and a refresh token belonging to the same session.
    fn mint(&self, grant: Grant<'_>) -> Result<Value, OAuthError> {
        let Grant { issuer, user, scope, nonce, auth_time, sid } = grant;
        let roles = self
            .inner
            .users
            .get(user)
            .map(|u| u.roles.clone())
            .ok_or_else(|| OAuthError::grant("the user no longer exists"))?;
        let now = chrono::Utc::now().timestamp();
        let email = format!("{user}@bookstore.local");
        let access = json!({
            "iss": issuer, "aud": crate::identity::auth::DEFAULT_AUDIENCE, "azp": CLIENT_ID, "sub": user, "iat": now, "nbf": now,
            "exp": now + ACCESS_TOKEN_SECONDS, "jti": random_token(), "typ": "Bearer", "scope": scope,
            "preferred_username": user, "email": email, "roles": roles,
        });
        let mut id = json!({
            "iss": issuer, "aud": CLIENT_ID, "sub": user, "iat": now, "exp": now + ACCESS_TOKEN_SECONDS, "auth_time": auth_time,
            "preferred_username": user, "email": email, "roles": roles,
        });
        if let Some(nonce) = nonce {
            id["nonce"] = json!(nonce);
        }
        if let Some(sid) = sid {
            id["sid"] = json!(sid);
        }
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.inner.kid.clone());
        let sign = |claims: &Value| {
            jsonwebtoken::encode(&header, claims, &self.inner.key).map_err(|e| OAuthError::server(e.to_string()))
        };
        let refresh = random_token();
        self.inner.refresh.insert(
            digest(&refresh),
            RefreshSession {
                user: user.to_owned(),
                scope: scope.to_owned(),
                issuer: issuer.to_owned(),
                auth_time,
                sid: sid.map(str::to_owned),
            },
        );
        Ok(json!({
            "access_token": sign(&access)?, "id_token": sign(&id)?, "refresh_token": refresh, "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_SECONDS, "scope": scope,
        }))
    }

    /// Starts a sign-in session for `user`: the cookie's value, the session's id (the digest it is kept by) and
    /// the session.
    fn start_session(&self, user: &str) -> (String, String, SignInSession) {
        let secret = random_token();
        let sid = digest(&secret);
        let now = Instant::now();
        let session = SignInSession {
            user: user.to_owned(),
            auth_time: chrono::Utc::now().timestamp(),
            started: now,
            last_used: now,
        };
        self.inner.sessions.insert(sid.clone(), session.clone());
        (secret, sid, session)
    }

    /// The live session `sid`, used now (its idle time starts again); `None` once idle or absolute lifetime is up,
    /// or when its user no longer exists.
    fn use_session(&self, sid: &str) -> Option<SignInSession> {
        let mut session = self.inner.sessions.get(sid)?;
        let lifetimes = self.inner.lifetimes;
        let alive = session.last_used.elapsed() <= lifetimes.idle
            && session.started.elapsed() <= lifetimes.max
            && self.inner.users.contains_key(&session.user);
        if !alive {
            self.inner.sessions.invalidate(sid);
            return None;
        }
        session.last_used = Instant::now();
        self.inner.sessions.insert(sid.to_owned(), session.clone());
        Some(session)
    }

    /// The id of the session a request's cookie names, if any.
    fn session_id(headers: &HeaderMap) -> Option<String> {
        let prefix = format!("{SESSION_COOKIE}=");
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|cookies| cookies.split(';'))
            .find_map(|cookie| cookie.trim().strip_prefix(prefix.as_str()).map(digest))
    }

    /// The session id an ID token of this issuer names (signature checked; an expired token still names it).
    fn sid_of(&self, id_token: &str) -> Option<String> {
        let (_, key) = self.verifying_key().ok()?;
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.set_audience(&[CLIENT_ID]);
        validation.set_required_spec_claims(&["sid"]);
        let claims = jsonwebtoken::decode::<Value>(id_token, &key, &validation).ok()?.claims;
        claims["sid"].as_str().map(str::to_owned)
    }

    /// The `Set-Cookie` value that keeps the session `secret` in the browser, or (`None`) forgets it.
    fn session_cookie(&self, secret: Option<&str>) -> HeaderValue {
        let secure = if self.inner.secure { "; Secure" } else { "" };
        let (value, max_age) = match secret {
            Some(secret) => (secret, self.inner.lifetimes.max.as_secs()),
            None => ("", 0),
        };
        let cookie = format!("{SESSION_COOKIE}={value}; Path=/auth; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("bookstore_session=; Max-Age=0"))
    }
}

enum LoginError {
    Wrong,
    Throttled,
}

#[cfg(test)]
mod tests {
    use super::parse_users;

    #[test]
    fn dev_users_parse_and_reject_nonsense() {
        let users = parse_users("user1:secret1:customer, admin1:secret2:customer+admin").unwrap();
        assert_eq!(users[1].roles, ["customer", "admin"]);
        assert!(parse_users("").is_err());
        assert!(parse_users("user1:pw").is_err());
        assert!(parse_users("user1:longpw:root").is_err());
        assert!(parse_users("user1:abc:customer").is_err(), "passwords need 4+ characters");
    }
}
