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

fn load_or_create_key(path: &Path) -> anyhow::Result<RsaPrivateKey> {
    if let Ok(pem) = fs::read_to_string(path) {
        return RsaPrivateKey::from_pkcs8_pem(&pem)
            .with_context(|| format!("reading the dev issuer key {}", path.display()));
    }
    let key = RsaPrivateKey::new(&mut OsRng, 2048).context("generating the dev issuer key")?;
    let pem = key.to_pkcs8_pem(LineEnding::LF).context("encoding the dev issuer key")?;
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    fs::write(path, pem.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .with_context(|| format!("protecting {}", path.display()))?;
    Ok(key)
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Refresh tokens and codes are stored by digest, so a memory dump does not hand them out.
fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An RFC 6749 error answer (`{error, error_description}`): OAuth clients expect this shape, not problem+json.
#[derive(Debug)]
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    fn request(description: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, error: "invalid_request", description: description.into() }
    }
    fn grant(description: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, error: "invalid_grant", description: description.into() }
    }
    fn server(description: impl Into<String>) -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, error: "server_error", description: description.into() }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": self.error, "error_description": self.description}));
        (self.status, [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], body).into_response()
    }
}

async fn discovery(State(issuer): State<DevIssuer>, headers: HeaderMap) -> Json<Value> {
    let iss = issuer.issuer_for(&headers);
    Json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "jwks_uri": format!("{iss}/jwks"),
        "end_session_endpoint": format!("{iss}/logout"),
        "revocation_endpoint": format!("{iss}/revoke"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "password"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": ["sub", "preferred_username", "email", "roles", "auth_time", "sid"],
        "prompt_values_supported": ["none", "login"],
    }))
}

async fn jwks(State(issuer): State<DevIssuer>) -> Json<Value> {
    let inner = &issuer.inner;
    Json(
        json!({"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": inner.kid, "n": inner.modulus, "e": inner.exponent}]}),
    )
}

/// The parameters of an authorization request, carried through the login form unchanged.
#[derive(Clone, Debug, Default, Deserialize)]
struct AuthorizeParams {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    state: Option<String>,
    nonce: Option<String>,
    scope: Option<String>,
    /// `none` (answer from the sign-in session or not at all) or `login` (ask again even with a session).
    prompt: Option<String>,
    /// Seconds since signing in beyond which the session does not count.
    max_age: Option<String>,
}

impl AuthorizeParams {
    /// Problems that make it unsafe to redirect at all are an error page; the rest go back to the client.
    #[allow(clippy::result_large_err)] // the error is the finished answer, returned once per request
    fn check(&self, issuer: &DevIssuer) -> Result<(), Response> {
        if self.client_id != CLIENT_ID {
            return Err(error_page(StatusCode::BAD_REQUEST, "Unknown client."));
        }
        if !issuer.redirect_allowed(&self.redirect_uri) {
            return Err(error_page(StatusCode::BAD_REQUEST, "This redirect address is not registered for the client."));
        }
        let problem = if self.response_type != "code" {
            Some(("unsupported_response_type", "only the code flow is supported"))
        } else if self.code_challenge_method != "S256" || self.code_challenge.len() != 43 {
            Some(("invalid_request", "PKCE with code_challenge_method=S256 is required"))
        } else {
            None
        };
        match problem {
            Some((error, description)) => {
                Err(self.redirect_with(&[("error", error), ("error_description", description)]))
            }
            None => Ok(()),
        }
    }

    fn redirect_with(&self, pairs: &[(&str, &str)]) -> Response {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(pairs);
        if let Some(state) = &self.state {
            query.append_pair("state", state);
        }
        let separator = if self.redirect_uri.contains('?') { '&' } else { '?' };
        Redirect::to(&format!("{}{separator}{}", self.redirect_uri, query.finish())).into_response()
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in error</title></head>\
         <body><main><h1>Sign-in error</h1><p role=\"alert\">{}</p></main></body></html>",
        escape(message)
    );
    (status, Html(body)).into_response()
}

fn login_page(status: StatusCode, params: &AuthorizeParams, message: Option<&str>) -> Response {
    let hidden: String = [
        ("response_type", Some(params.response_type.as_str())),
        ("client_id", Some(params.client_id.as_str())),
        ("redirect_uri", Some(params.redirect_uri.as_str())),
        ("code_challenge", Some(params.code_challenge.as_str())),
        ("code_challenge_method", Some(params.code_challenge_method.as_str())),
        ("state", params.state.as_deref()),
        ("nonce", params.nonce.as_deref()),
        ("scope", params.scope.as_deref()),
    ]
    .iter()
    .filter_map(|(name, value)| {
        value.map(|v| format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(v)))
    })
    .collect();
    let alert = message.map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(m))).unwrap_or_default();
    let body = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Bookstore</title>
<style>
body{{font-family:system-ui,sans-serif;background:#f6f5f2;display:grid;place-items:center;min-height:100vh;margin:0}}
main{{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 2px 12px #0002;width:min(22rem,90vw)}}
label{{display:block;margin-top:1rem;font-weight:600}} input[type=text],input[type=password]{{width:100%;padding:.6rem;margin-top:.3rem;box-sizing:border-box}}
button{{margin-top:1.5rem;width:100%;padding:.7rem;background:#1f4e79;color:#fff;border:0;border-radius:6px;font-size:1rem}}
.error{{color:#a30000}} .note{{color:#555;font-size:.85rem}}
</style></head>
<body><main>
<h1>Sign in to Bookstore</h1>
<p class="note">Development sign-in (built-in issuer).</p>
{alert}
<form method="post" action="/auth/authorize">
{hidden}
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</main></body></html>"#
    );
    (status, [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], Html(body)).into_response()
}

async fn authorize_page(
    State(issuer): State<DevIssuer>,
    headers: HeaderMap,
    Query(params): Query<AuthorizeParams>,
) -> Response {
    if let Err(response) = params.check(&issuer) {
        return response;
    }
    let prompts: Vec<&str> = params.prompt.as_deref().unwrap_or_default().split_whitespace().collect();
    let fresh_enough = |session: &SignInSession| match params.max_age.as_deref().map(str::parse::<i64>) {
        Some(Ok(max_age)) => chrono::Utc::now().timestamp() - session.auth_time <= max_age,
        _ => true,
    };
    let session = DevIssuer::session_id(&headers)
        .and_then(|sid| issuer.use_session(&sid).map(|session| (sid, session)))
        .filter(|(_, session)| fresh_enough(session));
    if prompts.contains(&"none") {
        return match session {
            _ if prompts.len() > 1 => {
                params.redirect_with(&[("error", "invalid_request"), ("error_description", "prompt=none stands alone")])
            }
            Some((sid, session)) => issue_code(&issuer, &headers, &params, &session, sid),
            None => params.redirect_with(&[("error", "login_required"), ("error_description", "no sign-in session")]),
        };
    }
    match session {
        // Signed in already: the code comes at once, as from Keycloak's session.
        Some((sid, session)) if !prompts.contains(&"login") => issue_code(&issuer, &headers, &params, &session, sid),
        _ => login_page(StatusCode::OK, &params, None),
    }
}

/// Redirects back to the client with a code for the session's user.
fn issue_code(
    issuer: &DevIssuer,
    headers: &HeaderMap,
    params: &AuthorizeParams,
    session: &SignInSession,
    sid: String,
) -> Response {
    let code = random_token();
    issuer.inner.codes.insert(
        digest(&code),
        PendingCode {
            user: session.user.clone(),
            redirect_uri: params.redirect_uri.clone(),
            challenge: params.code_challenge.clone(),
            nonce: params.nonce.clone(),
            scope: params.scope.clone().unwrap_or_else(|| "openid".to_owned()),
            issuer: issuer.issuer_for(headers),
            auth_time: session.auth_time,
            sid,
        },
    );
    let mut response = params.redirect_with(&[("code", &code)]);
    // 303: after the form's POST the browser follows with a GET.
    *response.status_mut() = StatusCode::SEE_OTHER;
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn authorize_submit(
    State(issuer): State<DevIssuer>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let params = form.params;
    if let Err(response) = params.check(&issuer) {
        return response;
    }
    match issuer.check_password(&form.username, &form.password) {
        Err(LoginError::Wrong) => {
            return login_page(StatusCode::UNAUTHORIZED, &params, Some("Wrong username or password."));
        }
        Err(LoginError::Throttled) => {
            return login_page(
                StatusCode::TOO_MANY_REQUESTS,
                &params,
                Some("Too many failed attempts; wait a few minutes."),
            );
        }
        Ok(()) => {}
    }
    // A new sign-in replaces whatever session the browser had.
    if let Some(old) = DevIssuer::session_id(&headers) {
        issuer.inner.sessions.invalidate(&old);
    }
    let (secret, sid, session) = issuer.start_session(&form.username);
    let mut response = issue_code(&issuer, &headers, &params, &session, sid);
    response.headers_mut().append(header::SET_COOKIE, issuer.session_cookie(Some(&secret)));
    response
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    client_id: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    username: Option<String>,
    password: Option<String>,
    scope: Option<String>,
}

async fn token(
    State(issuer): State<DevIssuer>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response, OAuthError> {
    if form.client_id != CLIENT_ID {
        return Err(OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "unknown client".to_owned(),
        });
    }
    let tokens = match form.grant_type.as_str() {
        "authorization_code" => {
            let code = form.code.ok_or_else(|| OAuthError::request("code is required"))?;
            let verifier = form.code_verifier.ok_or_else(|| OAuthError::request("code_verifier is required"))?;
            // Single use: taken out whether or not the rest checks out.
            let pending = issuer
                .inner
                .codes
                .remove(&digest(&code))
                .ok_or_else(|| OAuthError::grant("unknown, used or expired code"))?;
            if form.redirect_uri.as_deref() != Some(pending.redirect_uri.as_str()) {
                return Err(OAuthError::grant("redirect_uri does not match the authorization request"));
            }
            if !(43..=128).contains(&verifier.len())
                || URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != pending.challenge
            {
                return Err(OAuthError::grant("code_verifier does not match the code_challenge"));
            }
            issuer.mint(Grant {
                issuer: &pending.issuer,
                user: &pending.user,
                scope: &pending.scope,
                nonce: pending.nonce.as_deref(),
                auth_time: pending.auth_time,
                sid: Some(&pending.sid),
            })?
        }
        "refresh_token" => {
            let token = form.refresh_token.ok_or_else(|| OAuthError::request("refresh_token is required"))?;
            // Rotation: the old refresh token is spent.
            let session = issuer
                .inner
                .refresh
                .remove(&digest(&token))
                .ok_or_else(|| OAuthError::grant("unknown, revoked or expired refresh token"))?;
            // A refresh token lives as long as its sign-in session, and using it keeps the session alive.
            if let Some(sid) = &session.sid
                && issuer.use_session(sid).is_none()
            {
                return Err(OAuthError::grant("the sign-in session has ended"));
            }
            issuer.mint(Grant {
                issuer: &session.issuer,
                user: &session.user,
                scope: &session.scope,
                nonce: None,
                auth_time: session.auth_time,
                sid: session.sid.as_deref(),
            })?
        }
        "password" => {
            let (Some(username), Some(password)) = (form.username, form.password) else {
                return Err(OAuthError::request("username and password are required"));
            };
            match issuer.check_password(&username, &password) {
                Ok(()) => {}
                Err(LoginError::Wrong) => return Err(OAuthError::grant("wrong username or password")),
                Err(LoginError::Throttled) => {
                    return Err(OAuthError {
                        status: StatusCode::TOO_MANY_REQUESTS,
                        error: "invalid_grant",
                        description: "too many failed attempts; wait a few minutes".to_owned(),
                    });
                }
            }
            let scope = form.scope.unwrap_or_else(|| "openid".to_owned());
            issuer.mint(Grant {
                issuer: &issuer.issuer_for(&headers),
                user: &username,
                scope: &scope,
                nonce: None,
                auth_time: chrono::Utc::now().timestamp(),
                sid: None,
            })?
        }
        other => {
            return Err(OAuthError {
                status: StatusCode::BAD_REQUEST,
                error: "unsupported_grant_type",
                description: format!("`{other}` is not supported"),
            });
        }
    };
    Ok(([(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], Json(tokens)).into_response())
}

#[derive(Deserialize)]
struct RevokeForm {
    #[serde(default)]
    token: String,
}

/// RFC 7009: always 200, whether or not the token was known.
async fn revoke(State(issuer): State<DevIssuer>, Form(form): Form<RevokeForm>) -> StatusCode {
    issuer.inner.refresh.invalidate(&digest(&form.token));
    StatusCode::OK
}

#[derive(Debug, Default, Deserialize)]
struct LogoutParams {
    refresh_token: Option<String>,
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// Ends the sign-in session the request names (by its cookie, a refresh token or an ID token of it), which ends
/// every refresh token of it, and tells the browser to forget the cookie.
fn logout(issuer: &DevIssuer, headers: &HeaderMap, params: LogoutParams) -> Response {
    let mut sessions: Vec<String> = DevIssuer::session_id(headers).into_iter().collect();
    if let Some(token) = &params.refresh_token
        && let Some(refresh) = issuer.inner.refresh.remove(&digest(token))
    {
        sessions.extend(refresh.sid);
    }
    sessions.extend(params.id_token_hint.as_deref().and_then(|hint| issuer.sid_of(hint)));
    for sid in &sessions {
        issuer.inner.sessions.invalidate(sid);
    }
    let mut response = match params.post_logout_redirect_uri {
        Some(uri) if issuer.redirect_allowed(&uri) => {
            let target = match params.state {
                Some(state) => format!(
                    "{uri}{}state={}",
                    if uri.contains('?') { '&' } else { '?' },
                    form_urlencoded::byte_serialize(state.as_bytes()).collect::<String>()
                ),
                None => uri,
            };
            Redirect::to(&target).into_response()
        }
        Some(_) => error_page(StatusCode::BAD_REQUEST, "This sign-out redirect address is not registered."),
        None => StatusCode::NO_CONTENT.into_response(),
    };
    response.headers_mut().append(header::SET_COOKIE, issuer.session_cookie(None));
    response
}

async fn logout_get(
    State(issuer): State<DevIssuer>,
    headers: HeaderMap,
    Query(params): Query<LogoutParams>,
) -> Response {
    logout(&issuer, &headers, params)
}

async fn logout_post(
    State(issuer): State<DevIssuer>,
    headers: HeaderMap,
    Form(params): Form<LogoutParams>,
) -> Response {
    logout(&issuer, &headers, params)
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
