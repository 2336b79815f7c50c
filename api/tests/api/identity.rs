//! The built-in dev issuer driven end to end by an HTTP client (its sign-in sessions included), and the token checks
//! every protected route makes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Options, TestApp, assert_problem, spawn};

const USERS: &str = "user1:user1pass:customer,admin1:admin1pass:customer+admin,eve:evepass:customer";

async fn app() -> TestApp {
    spawn(Options { dev_users: Some(USERS), ..Default::default() }).await
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

struct Pkce {
    verifier: String,
    challenge: String,
}

fn pkce() -> Pkce {
    let verifier = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce { verifier, challenge }
}

/// Walks the browser's part: the login page, the form post, the redirect back. Returns the code.
async fn sign_in(app: &TestApp, user: &str, password: &str, pkce: &Pkce) -> Result<String, reqwest::Response> {
    let client = no_redirects();
    let redirect = app.url("/callback");
    let query = [
        ("response_type", "code"),
        ("client_id", "ui-client"),
        ("redirect_uri", redirect.as_str()),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("state", "xyz"),
        ("scope", "openid profile"),
    ];
    let page = client.get(app.url("/auth/authorize")).query(&query).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"<form method="post" action="/auth/authorize">"#) && html.contains(r#"name="password""#));
    let mut form: Vec<(&str, &str)> = query.to_vec();
    form.extend([("username", user), ("password", password)]);
    let answer = client.post(app.url("/auth/authorize")).form(&form).send().await.unwrap();
    if answer.status() != StatusCode::SEE_OTHER {
        return Err(answer);
    }
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(&redirect), "{location}");
    let url = reqwest::Url::parse(&location).unwrap();
    let params: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(params.get("state").map(String::as_str), Some("xyz"));
    Ok(params["code"].clone())
}

async fn exchange(app: &TestApp, code: &str, verifier: &str) -> reqwest::Response {
    let redirect = app.url("/callback");
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", "ui-client"),
        ("code", code),
        ("redirect_uri", redirect.as_str()),
        ("code_verifier", verifier),
    ];
    app.client.post(app.url("/auth/token")).form(&form).send().await.unwrap()
}

async fn password_grant(app: &TestApp, user: &str, password: &str) -> reqwest::Response {
    let form = [("grant_type", "password"), ("client_id", "ui-client"), ("username", user), ("password", password)];
    app.client.post(app.url("/auth/token")).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn code_flow_with_pkce_end_to_end() {
    let app = app().await;
    let discovery: Value = app.get_json("/auth/.well-known/openid-configuration").await.1;
    assert_eq!(discovery["issuer"], app.url("/auth"));
    assert_eq!(discovery["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    let jwks: Value = app.get_json("/auth/jwks").await.1;
    assert_eq!(jwks["keys"][0]["alg"], "RS256");

    let pkce = pkce();
    let code = sign_in(&app, "user1", "user1pass", &pkce).await.unwrap_or_else(|_| panic!("sign-in failed"));
    let tokens: Value = exchange(&app, &code, &pkce.verifier).await.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["id_token"].is_string() && tokens["refresh_token"].is_string());
    let cart = app.client.get(app.url("/ecom/cart")).bearer_auth(access).send().await.unwrap();
    assert_eq!(cart.status(), 200, "the issued token opens the shopper's routes");

    // A code works once.
    let again: Value = exchange(&app, &code, &pkce.verifier).await.json().await.unwrap();
    assert_eq!(again["error"], "invalid_grant");
}

#[tokio::test]
async fn a_wrong_verifier_is_invalid_grant() {
    let app = app().await;
    let pkce = pkce();
    let code = sign_in(&app, "user1", "user1pass", &pkce).await.unwrap_or_else(|_| panic!("sign-in failed"));
    let wrong = self::pkce().verifier;
    let response = exchange(&app, &code, &wrong).await;
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn authorize_refuses_missing_pkce_and_foreign_redirects() {
    let app = app().await;
    let client = no_redirects();
    let without_pkce = client
        .get(app.url("/auth/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", "ui-client"),
            ("redirect_uri", &app.url("/callback")),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(without_pkce.status(), 303);
    assert!(without_pkce.headers()["location"].to_str().unwrap().contains("error=invalid_request"));
    let foreign = client
        .get(app.url("/auth/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", "ui-client"),
            ("redirect_uri", "https://evil.example/cb"),
            ("code_challenge", &pkce().challenge),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 400, "never redirect to an unregistered address");
}

#[tokio::test]
async fn refresh_rotates_and_logout_revokes() {
    let app = app().await;
    let tokens: Value = password_grant(&app, "admin1", "admin1pass").await.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let admin = app
        .client
        .get(app.url("/ecom/admin/orders"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200, "admin1's roles reach the admin console");

    let form = [("grant_type", "refresh_token"), ("client_id", "ui-client"), ("refresh_token", refresh.as_str())];
    let renewed: Value =
        app.client.post(app.url("/auth/token")).form(&form).send().await.unwrap().json().await.unwrap();
    let renewed_refresh = renewed["refresh_token"].as_str().unwrap().to_owned();
    let reused = app.client.post(app.url("/auth/token")).form(&form).send().await.unwrap();
    assert_eq!(reused.status(), 400, "a refresh token is spent by use");

    let logout = app
        .client
        .post(app.url("/auth/logout"))
        .form(&[("client_id", "ui-client"), ("refresh_token", renewed_refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert!(logout.status().is_success());
    let after =
        [("grant_type", "refresh_token"), ("client_id", "ui-client"), ("refresh_token", renewed_refresh.as_str())];
    let refused = app.client.post(app.url("/auth/token")).form(&after).send().await.unwrap();
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_then_throttled() {
    let app = app().await;
    let wrong = password_grant(&app, "eve", "nope").await;
    assert_eq!(wrong.status(), 400);
    assert_eq!(wrong.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(password_grant(&app, "nobody", "nope").await.status(), 400);
    let page = sign_in(&app, "eve", "nope", &pkce()).await.expect_err("a wrong password signs nobody in");
    assert_eq!(page.status(), 401);
    assert!(page.text().await.unwrap().contains("Wrong username or password"));
    for _ in 0..3 {
        password_grant(&app, "eve", "nope").await;
    }
    let throttled = password_grant(&app, "eve", "evepass").await;
    assert_eq!(throttled.status(), 429, "after five failures even the right password waits");
    assert_eq!(password_grant(&app, "user1", "user1pass").await.status(), 200, "other users are not affected");
}

#[tokio::test]
async fn customers_get_403_from_the_admin_console_with_real_tokens() {
    let app = app().await;
    let tokens: Value = password_grant(&app, "user1", "user1pass").await.json().await.unwrap();
    let response = app
        .client
        .get(app.url("/ecom/admin/books"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_problem(response, 403).await;
}

/// Forged and broken tokens: every one is 401, on a shopper route and an admin route alike.
#[tokio::test]
async fn forged_tokens_are_all_401() {
    use crate::helpers::{AUDIENCE, ISSUER, token};
    use jsonwebtoken::{Algorithm, EncodingKey, Header};

    let app = app().await;
    let now = chrono::Utc::now().timestamp();
    let claims = |overrides: Value| {
        let mut claims = serde_json::json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": "mallory", "iat": now, "nbf": now, "exp": now + 900,
            "roles": ["customer", "admin"],
        });
        for (k, v) in overrides.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims
    };
    let signing = EncodingKey::from_rsa_pem(include_bytes!("../fixtures/test-signing-key.pem")).unwrap();
    let rs256 = |claims: &Value, kid: &str| {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &signing).unwrap()
    };
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let valid = token("mallory", &["customer", "admin"]);
    let (head, rest) = valid.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();

    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some("test-key".to_owned());
    let public_pem = include_bytes!("../fixtures/test-signing-key.pub.pem");
    let cases: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&serde_json::json!({"alg": "none", "kid": "test-key"})),
                b64(&claims(serde_json::json!({})))
            ),
        ),
        (
            "HS256 keyed with the public key",
            jsonwebtoken::encode(&hs_header, &claims(serde_json::json!({})), &EncodingKey::from_secret(public_pem))
                .unwrap(),
        ),
        (
            "expired",
            rs256(&claims(serde_json::json!({"exp": now - 600, "iat": now - 1500, "nbf": now - 1500})), "test-key"),
        ),
        ("not yet valid", rs256(&claims(serde_json::json!({"nbf": now + 600})), "test-key")),
        ("wrong issuer", rs256(&claims(serde_json::json!({"iss": "https://evil.example"})), "test-key")),
        ("wrong audience", rs256(&claims(serde_json::json!({"aud": "someone-else"})), "test-key")),
        ("unknown kid", rs256(&claims(serde_json::json!({})), "other-key")),
        ("tampered payload", format!("{head}.{}.{signature}", b64(&claims(serde_json::json!({"sub": "admin1"}))))),
        ("garbage", "not.a.token".to_owned()),
        ("empty", String::new()),
    ];
    for (name, forged) in cases {
        for path in ["/ecom/cart", "/ecom/admin/orders"] {
            let response = app.client.get(app.url(path)).bearer_auth(&forged).send().await.unwrap();
            assert_eq!(response.status(), 401, "{name} on {path}");
        }
    }
    let sanity = app.client.get(app.url("/ecom/admin/orders")).bearer_auth(&valid).send().await.unwrap();
    assert_eq!(sanity.status(), 200, "the unforged token works, so the 401s above are about the forgery");
}

/// Verified tokens are remembered for speed, but never past their expiry: a token accepted (and remembered)
/// seconds before it expires is refused once it has.
#[tokio::test]
async fn a_remembered_token_is_refused_once_it_expires() {
    use crate::helpers::{AUDIENCE, ISSUER};
    use jsonwebtoken::{Algorithm, EncodingKey, Header};

    let app = app().await;
    // Expired 28 s ago: still inside the 30 s clock-skew leeway, for two more seconds.
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "late", "iat": now - 600, "nbf": now - 600, "exp": now - 28,
        "roles": ["customer"],
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("test-key".to_owned());
    let signing = EncodingKey::from_rsa_pem(include_bytes!("../fixtures/test-signing-key.pem")).unwrap();
    let token = jsonwebtoken::encode(&header, &claims, &signing).unwrap();

    let first = app.client.get(app.url("/ecom/cart")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(first.status(), 200, "inside the leeway the token is valid");
    let again = app.client.get(app.url("/ecom/cart")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(again.status(), 200, "and remembered");
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let late = app.client.get(app.url("/ecom/cart")).bearer_auth(&token).send().await.unwrap();
    assert_problem(late, 401).await;
}

/// The cluster's issuer is Keycloak: tokens shaped like Keycloak's (realm roles under `realm_access`, an audience
/// list, a UUID subject), verified against keys fetched from its JWKS through discovery.
#[tokio::test]
async fn keycloak_shaped_tokens_verify_against_a_remote_jwks() {
    use bookstore_api::identity::auth::{Authenticator, JwksSource};
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use rsa::pkcs8::DecodePublicKey;
    use rsa::traits::PublicKeyParts;

    // A stand-in for Keycloak's realm endpoints, serving the test key as its JWKS.
    let public = rsa::RsaPublicKey::from_public_key_pem(include_str!("../fixtures/test-signing-key.pub.pem")).unwrap();
    let jwks = serde_json::json!({"keys": [{
        "kid": "kc-key", "kty": "RSA", "alg": "RS256", "use": "sig",
        "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()), "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    }]});
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/realms/bookstore", listener.local_addr().unwrap());
    let discovery =
        serde_json::json!({"issuer": issuer, "jwks_uri": format!("{issuer}/protocol/openid-connect/certs")});
    let realm = axum::Router::new()
        .route(
            "/realms/bookstore/.well-known/openid-configuration",
            axum::routing::get(move || async move { axum::Json(discovery) }),
        )
        .route(
            "/realms/bookstore/protocol/openid-connect/certs",
            axum::routing::get(move || async move { axum::Json(jwks) }),
        );
    tokio::spawn(async move { axum::serve(listener, realm).await });

    let auth = Authenticator::new(vec![issuer.clone()], "bookstore-api");
    let follower = tokio::spawn(auth.clone().follow_jwks(JwksSource::Discovery { issuer: issuer.clone() }));
    let app = spawn(Options { auth: Some(auth.clone()), ..Default::default() }).await;

    let signing = EncodingKey::from_rsa_pem(include_bytes!("../fixtures/test-signing-key.pem")).unwrap();
    let keycloak_token = |roles: &[&str], kid: &str| {
        let now = chrono::Utc::now().timestamp();
        let claims = serde_json::json!({
            "iss": issuer, "aud": ["bookstore-api", "account"], "azp": "ui-client", "typ": "Bearer",
            "sub": "9c1f6a2e-2f4e-4a57-8a0e-3f1f0e9c2b11", "preferred_username": "user1", "exp": now + 300, "iat": now,
            "realm_access": {"roles": roles}, "scope": "openid profile email",
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, &claims, &signing).unwrap()
    };
    let customer = keycloak_token(&["customer", "offline_access", "default-roles-bookstore"], "kc-key");
    let started = std::time::Instant::now();
    while auth.verify(&customer).is_err() {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the JWKS was never loaded");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let cart = app.client.get(app.url("/ecom/cart")).bearer_auth(&customer).send().await.unwrap();
    assert_eq!(cart.status(), 200);
    assert_problem(app.client.get(app.url("/ecom/admin/orders")).bearer_auth(&customer).send().await.unwrap(), 403)
        .await;
    let admin = keycloak_token(&["customer", "admin"], "kc-key");
    assert_eq!(app.client.get(app.url("/ecom/admin/orders")).bearer_auth(&admin).send().await.unwrap().status(), 200);
    let rotated = keycloak_token(&["customer"], "some-new-key");
    assert_eq!(app.client.get(app.url("/ecom/cart")).bearer_auth(&rotated).send().await.unwrap().status(), 401);
    follower.abort();
}

/// An authorization request for the SPA's client, with `extra` parameters (`prompt`, `max_age`).
fn authorize_query<'a>(app: &TestApp, pkce: &'a Pkce, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, String)> {
    let mut query = vec![
        ("response_type", "code".to_owned()),
        ("client_id", "ui-client".to_owned()),
        ("redirect_uri", app.url("/callback")),
        ("code_challenge", pkce.challenge.clone()),
        ("code_challenge_method", "S256".to_owned()),
        ("state", "s1".to_owned()),
    ];
    query.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    query
}

/// Signs in through the login form; returns the session cookie (`name=value`) and the code.
async fn sign_in_with_session(app: &TestApp, user: &str, password: &str, pkce: &Pkce) -> (String, String) {
    let mut form = authorize_query(app, pkce, &[]);
    form.extend([("username", user.to_owned()), ("password", password.to_owned())]);
    let answer = no_redirects().post(app.url("/auth/authorize")).form(&form).send().await.unwrap();
    assert_eq!(answer.status(), 303);
    let cookie = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/auth"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: no Secure attribute ({cookie})");
    (cookie.split(';').next().unwrap().to_owned(), code_of(&answer))
}

fn code_of(answer: &reqwest::Response) -> String {
    let location = reqwest::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    location.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("a code")
}

fn redirect_error(answer: &reqwest::Response) -> Option<String> {
    let location = reqwest::Url::parse(answer.headers().get("location")?.to_str().ok()?).ok()?;
    location.query_pairs().find(|(k, _)| k == "error").map(|(_, v)| v.into_owned())
}

/// An authorization request from a browser holding `cookie` (if any).
async fn authorize(app: &TestApp, cookie: Option<&str>, pkce: &Pkce, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut request = no_redirects().get(app.url("/auth/authorize")).query(&authorize_query(app, pkce, extra));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// After signing in, the browser's session answers later authorization requests: `prompt=none` gets a code (the
/// SPA's silent sign-in after a reload or in a new tab), a plain request too (no login page), `prompt=login` shows
/// the login page again; without the session `prompt=none` is `login_required`.
#[tokio::test]
async fn a_sign_in_session_answers_later_authorizations() {
    let app = app().await;
    let first = pkce();
    let (cookie, code) = sign_in_with_session(&app, "user1", "user1pass", &first).await;
    let tokens: Value = exchange(&app, &code, &first.verifier).await.json().await.unwrap();
    let signed_in = claims(tokens["id_token"].as_str().unwrap());

    let silent = pkce();
    let answer = authorize(&app, Some(&cookie), &silent, &[("prompt", "none")]).await;
    assert_eq!(answer.status(), 303, "a code without the login page");
    let renewed: Value = exchange(&app, &code_of(&answer), &silent.verifier).await.json().await.unwrap();
    let again = claims(renewed["id_token"].as_str().unwrap());
    assert_eq!((again["sub"].clone(), again["auth_time"].clone()), (json!("user1"), signed_in["auth_time"].clone()));
    assert_eq!(again["sid"], signed_in["sid"], "the same sign-in session");
    let cart = app.client.get(app.url("/ecom/cart")).bearer_auth(renewed["access_token"].as_str().unwrap());
    assert_eq!(cart.send().await.unwrap().status(), 200);

    assert_eq!(authorize(&app, Some(&cookie), &pkce(), &[]).await.status(), 303, "no login page while signed in");
    assert_eq!(authorize(&app, Some(&cookie), &pkce(), &[("prompt", "login")]).await.status(), 200);
    assert_eq!(authorize(&app, Some(&cookie), &pkce(), &[("prompt", "none"), ("max_age", "0")]).await.status(), 303);
    let stranger = authorize(&app, None, &pkce(), &[("prompt", "none")]).await;
    assert_eq!(redirect_error(&stranger).as_deref(), Some("login_required"));
    let forged = authorize(&app, Some("bookstore_session=made-up"), &pkce(), &[("prompt", "none")]).await;
    assert_eq!(redirect_error(&forged).as_deref(), Some("login_required"));
}

/// Signing out ends the session, whichever way the client names it (the cookie, a refresh token, an ID token), and
/// with it every refresh token of the session (another tab's included).
#[tokio::test]
async fn logout_ends_the_session_and_every_refresh_token_of_it() {
    let app = app().await;
    for how in ["cookie", "refresh_token", "id_token_hint"] {
        let first = pkce();
        let (cookie, code) = sign_in_with_session(&app, "admin1", "admin1pass", &first).await;
        let tokens: Value = exchange(&app, &code, &first.verifier).await.json().await.unwrap();
        // A second tab signed in silently from the same session.
        let tab = pkce();
        let answer = authorize(&app, Some(&cookie), &tab, &[("prompt", "none")]).await;
        let other_tab: Value = exchange(&app, &code_of(&answer), &tab.verifier).await.json().await.unwrap();

        let mut logout = app.client.post(app.url("/auth/logout"));
        let mut form = vec![("client_id", "ui-client".to_owned())];
        match how {
            "cookie" => logout = logout.header("cookie", &cookie),
            "refresh_token" => form.push(("refresh_token", tokens["refresh_token"].as_str().unwrap().to_owned())),
            _ => form.push(("id_token_hint", tokens["id_token"].as_str().unwrap().to_owned())),
        }
        let ended = logout.form(&form).send().await.unwrap();
        assert!(ended.status().is_success(), "{how}");
        assert!(ended.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"), "{how}: the cookie is dropped");

        let silent = authorize(&app, Some(&cookie), &pkce(), &[("prompt", "none")]).await;
        assert_eq!(redirect_error(&silent).as_deref(), Some("login_required"), "{how}");
        let refresh = [
            ("grant_type", "refresh_token"),
            ("client_id", "ui-client"),
            ("refresh_token", other_tab["refresh_token"].as_str().unwrap()),
        ];
        let refused: Value =
            app.client.post(app.url("/auth/token")).form(&refresh).send().await.unwrap().json().await.unwrap();
        assert_eq!(refused["error"], "invalid_grant", "{how}: the other tab's refresh token ended with the session");
    }
}

/// A session ends after its idle time without use, and at its absolute end however busy; spending a refresh token
/// of it is a use.
#[tokio::test]
async fn a_session_ends_when_idle_and_at_its_absolute_end() {
    use bookstore_api::identity::issuer::SessionLifetimes;
    use std::time::Duration;

    let lifetimes = SessionLifetimes { idle: Duration::from_millis(1500), max: Duration::from_secs(4) };
    let app = spawn(Options { dev_users: Some(USERS), sessions: lifetimes, ..Default::default() }).await;
    let silent = |cookie: String| {
        let app = &app;
        async move { authorize(app, Some(&cookie), &pkce(), &[("prompt", "none")]).await }
    };

    let (idle_cookie, _) = sign_in_with_session(&app, "user1", "user1pass", &pkce()).await;
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(redirect_error(&silent(idle_cookie).await).as_deref(), Some("login_required"), "idle too long");

    let first = pkce();
    let (busy_cookie, code) = sign_in_with_session(&app, "user1", "user1pass", &first).await;
    let tokens: Value = exchange(&app, &code, &first.verifier).await.json().await.unwrap();
    let mut refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        // Each refresh is a use, 1 s apart: the idle time never runs out.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let form = [("grant_type", "refresh_token"), ("client_id", "ui-client"), ("refresh_token", refresh.as_str())];
        let renewed: Value =
            app.client.post(app.url("/auth/token")).form(&form).send().await.unwrap().json().await.unwrap();
        refresh = renewed["refresh_token"].as_str().expect("renewed while in use").to_owned();
    }
    assert_eq!(silent(busy_cookie.clone()).await.status(), 303, "3 s in, used every second: alive");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(redirect_error(&silent(busy_cookie).await).as_deref(), Some("login_required"), "past its 4 s");
}
