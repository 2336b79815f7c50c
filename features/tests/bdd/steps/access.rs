//! Who may do what: signing in, the 401/403 matrix, forged tokens and CSRF protection.

use anyhow::{Context as _, bail, ensure};
use bookstore_features::client::{Api, Credentials, Reply, Tokens, b64url, claims_of};
use bookstore_features::seed;
use bookstore_features::server::{PASSWORD, UserPool};
use cucumber::{given, then, when};
use reqwest::Method;
use serde_json::{Value, json};

use crate::world::ShopWorld;

/// The request behind an action named in a feature.
fn action(name: &str) -> anyhow::Result<(Method, String, Option<Value>)> {
    let book = seed::id_of("Clean Code").context("a seed book")?;
    let nobody = uuid::Uuid::new_v4();
    let new_book = ShopWorld::book_json("Never Added", 10.0, 1);
    Ok(match name {
        "look at their cart" => (Method::GET, "/ecom/cart".into(), None),
        "add a book to their cart" => (Method::POST, "/ecom/cart".into(), Some(json!({"bookId": book, "quantity": 1}))),
        "change a cart line" => (Method::PUT, format!("/ecom/cart/{nobody}"), Some(json!({"quantity": 2}))),
        "remove a cart line" => (Method::DELETE, format!("/ecom/cart/{nobody}"), None),
        "check out" => (Method::POST, "/ecom/checkout".into(), None),
        "look at their orders" => (Method::GET, "/ecom/orders".into(), None),
        "open an order" => (Method::GET, format!("/ecom/orders/{nobody}"), None),
        "list the books of the admin console" => (Method::GET, "/ecom/admin/books".into(), None),
        "add a book to the catalog" => (Method::POST, "/ecom/admin/books".into(), Some(new_book)),
        "open a book in the admin console" => (Method::GET, format!("/ecom/admin/books/{book}"), None),
        "edit a book" => (Method::PUT, format!("/ecom/admin/books/{book}"), Some(new_book)),
        "delete a book" => (Method::DELETE, format!("/ecom/admin/books/{book}"), None),
        "list all orders" => (Method::GET, "/ecom/admin/orders".into(), None),
        "open anyone's order" => (Method::GET, format!("/ecom/admin/orders/{nobody}"), None),
        "list the stock" => (Method::GET, "/inven/admin/stock".into(), None),
        "set a book's stock" => (Method::PUT, format!("/inven/admin/stock/{book}"), Some(json!({"quantity": 50}))),
        "look at the sales figures" => (Method::GET, "/analytics/views/vw_sales_over_time".into(), None),
        "ask how fresh the analytics are" => (Method::GET, "/analytics/freshness".into(), None),
        "adjust a book's stock" => {
            (Method::POST, format!("/inven/admin/stock/{book}/adjust"), Some(json!({"delta": 0})))
        }
        other => bail!("unknown action {other:?}"),
    })
}

async fn perform(api: &Api, name: &str, credentials: &Credentials) -> anyhow::Result<Reply> {
    let (method, path, body) = action(name)?;
    api.send(method, &path, body.as_ref(), credentials, &[]).await
}

#[when(expr = "a visitor who has not signed in tries to {}")]
async fn anonymous_tries(world: &mut ShopWorld, what: String) -> anyhow::Result<()> {
    let reply = perform(&world.api, &what, &Credentials::default()).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word}, a shopper, tries to {}")]
async fn shopper_tries(world: &mut ShopWorld, name: String, what: String) -> anyhow::Result<()> {
    let credentials = world.shopper(&name).await?.credentials().await?;
    let reply = perform(&world.api, &what, &credentials).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "a clerk who may only administer tries to {}")]
async fn clerk_tries(world: &mut ShopWorld, what: String) -> anyhow::Result<()> {
    let credentials = world.sign_in_as(UserPool::CLERK).await?.credentials().await?;
    let reply = perform(&world.api, &what, &credentials).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "the admin goes to {}")]
async fn admin_goes(world: &mut ShopWorld, what: String) -> anyhow::Result<()> {
    let credentials = world.admin().await?.credentials().await?;
    let reply = perform(&world.api, &what, &credentials).await?;
    world.set(reply);
    Ok(())
}

#[then("they are let in")]
fn let_in(world: &mut ShopWorld) -> anyhow::Result<()> {
    let status = world.last()?.status;
    ensure!((200..300).contains(&status), "status {status}: {}", world.last()?.text);
    Ok(())
}

/// Forged or broken credentials, each made from Ann's real token.
#[when(expr = "someone tries to look at Ann's cart with {}")]
async fn forged(world: &mut ShopWorld, forgery: String) -> anyhow::Result<()> {
    let ann = world.shopper("Ann").await?;
    let token = ann.access_token.clone();
    let parts: Vec<&str> = token.split('.').collect();
    ensure!(parts.len() == 3, "the access token is not a JWT");
    let header: Value = serde_json::from_slice(&base64_decode(parts[0])?)?;
    let mut claims = claims_of(&token)?;
    claims["roles"] = json!(["customer", "admin"]);
    let elevated = b64url(claims.to_string().as_bytes());
    let authorization = match forgery.as_str() {
        "her token with the roles edited to admin" => format!("Bearer {}.{elevated}.{}", parts[0], parts[2]),
        "an unsigned token" => {
            let none = json!({"alg": "none", "typ": "JWT", "kid": header["kid"]});
            format!("Bearer {}.{elevated}.", b64url(none.to_string().as_bytes()))
        }
        "a token signed with the issuer's public key as a shared secret" => {
            let jwks = world.api.get("/auth/jwks").await?.expect(200)?.text;
            let mut forged = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            forged.kid = header["kid"].as_str().map(str::to_owned);
            let key = jsonwebtoken::EncodingKey::from_secret(jwks.as_bytes());
            format!("Bearer {}", jsonwebtoken::encode(&forged, &claims, &key)?)
        }
        "a token naming a key the issuer never had" => {
            let mut other = header.clone();
            other["kid"] = "someone-elses-key".into();
            format!("Bearer {}.{}.{}", b64url(other.to_string().as_bytes()), parts[1], parts[2])
        }
        "her token cut short" => format!("Bearer {}.{}", parts[0], parts[1]),
        "a made-up token" => "Bearer not-a-token".to_owned(),
        "her password instead of a token" => {
            format!("Basic {}", b64url(format!("{}:{PASSWORD}", ann.username).as_bytes()))
        }
        "her refresh token" => format!("Bearer {}", ann.refresh_token.clone().context("no refresh token")?),
        "an empty bearer token" => "Bearer ".to_owned(),
        other => bail!("unknown forgery {other:?}"),
    };
    let credentials = Credentials { authorization: Some(authorization), csrf: None };
    let reply = world.api.send(Method::GET, "/ecom/cart", None, &credentials, &[]).await?;
    world.set(reply);
    Ok(())
}

fn base64_decode(part: &str) -> anyhow::Result<Vec<u8>> {
    use base64::Engine as _;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part)?)
}

// Signing in.

#[given(expr = "{word} signs in")]
#[when(expr = "{word} signs in")]
async fn signs_in(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    world.shopper(&name).await?;
    Ok(())
}

#[then(expr = "{word}'s pass names her/him/them and says she/he/they is/are a customer, not an admin")]
async fn pass_names(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let session = world.shopper(&name).await?;
    let claims = session.claims()?;
    ensure!(claims["preferred_username"] == session.username.as_str(), "{claims}");
    ensure!(claims["roles"] == json!(["customer"]), "roles {}", claims["roles"]);
    for claim in ["iss", "aud", "sub", "exp", "iat"] {
        ensure!(!claims[claim].is_null(), "no {claim} claim: {claims}");
    }
    Ok(())
}

#[then("the admin's pass says they are an admin")]
async fn admin_pass(world: &mut ShopWorld) -> anyhow::Result<()> {
    let claims = world.admin().await?.claims()?;
    let roles = claims["roles"].as_array().cloned().unwrap_or_default();
    ensure!(roles.contains(&json!("admin")), "roles {roles:?}");
    Ok(())
}

#[when(expr = "someone signs in as a shopper with the password {string}")]
async fn sign_in_wrong(world: &mut ShopWorld, password: String) -> anyhow::Result<()> {
    let reply = world.api.password_grant(UserPool::GUARD, &password).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "someone signs in as {string}")]
async fn sign_in_unknown(world: &mut ShopWorld, username: String) -> anyhow::Result<()> {
    let reply = world.api.password_grant(&username, PASSWORD).await?;
    world.set(reply);
    Ok(())
}

#[then("they are not signed in")]
fn not_signed_in(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.last()?;
    ensure!(matches!(reply.status, 400 | 401), "status {}: {}", reply.status, reply.text);
    ensure!(reply.body.get("access_token").is_none(), "a token was handed out");
    Ok(())
}

#[then("the pass lasts 15 minutes")]
async fn lasts(world: &mut ShopWorld) -> anyhow::Result<()> {
    let claims = world.shopper("Ann").await?.claims()?;
    let lifetime = claims["exp"].as_i64().unwrap_or_default() - claims["iat"].as_i64().unwrap_or_default();
    ensure!(lifetime == 900, "the access token lasts {lifetime} s");
    Ok(())
}

#[when(expr = "{word} renews her/his/their pass")]
async fn renews(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let session = world.shopper(&name).await?;
    let refresh = session.refresh_token.clone().context("no refresh token")?;
    let reply = world
        .api
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", bookstore_features::client::CLIENT_ID),
            ("refresh_token", &refresh),
        ])
        .await?;
    world.set(reply);
    Ok(())
}

#[then(expr = "{word} gets a new pass that works")]
async fn new_pass_works(world: &mut ShopWorld, _name: String) -> anyhow::Result<()> {
    let tokens: Tokens = world.last()?.clone().expect(200)?.json()?;
    ensure!(tokens.token_type.eq_ignore_ascii_case("bearer"), "token type {}", tokens.token_type);
    let reply =
        world.api.send(Method::GET, "/ecom/cart", None, &Credentials::bearer(&tokens.access_token), &[]).await?;
    reply.expect(200)?;
    Ok(())
}

#[when(expr = "{word} signs out")]
async fn signs_out(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let session = world.shopper(&name).await?;
    let refresh = session.refresh_token.clone().context("no refresh token")?;
    let reply = world
        .api
        .form("/auth/logout", &[("client_id", bookstore_features::client::CLIENT_ID), ("refresh_token", &refresh)])
        .await?;
    ensure!((200..300).contains(&reply.status), "sign-out answered {}: {}", reply.status, reply.text);
    Ok(())
}

// CSRF.

/// `name` adds copies of a book to their cart, sending `csrf` as the form token.
async fn add_with_form_token(
    world: &mut ShopWorld,
    name: &str,
    quantity: i64,
    title: &str,
    csrf: Option<String>,
) -> anyhow::Result<()> {
    let session = world.shopper(name).await?;
    let credentials = Credentials { csrf, ..Credentials::bearer(&session.access_token) };
    let body = json!({ "bookId": world.book_id(title)?, "quantity": quantity });
    let reply = world.api.send(Method::POST, "/ecom/cart", Some(&body), &credentials, &[]).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} adds {int} copy/copies of {string} to her/his/their cart without the form token")]
async fn add_without_csrf(world: &mut ShopWorld, name: String, quantity: i64, title: String) -> anyhow::Result<()> {
    add_with_form_token(world, &name, quantity, &title, None).await
}

#[when(expr = "{word} adds {int} copy/copies of {string} to her/his/their cart with a made-up form token")]
async fn add_made_up_csrf(world: &mut ShopWorld, name: String, quantity: i64, title: String) -> anyhow::Result<()> {
    add_with_form_token(world, &name, quantity, &title, Some(uuid::Uuid::new_v4().simple().to_string())).await
}

#[when(expr = "{word} adds {int} copy/copies of {string} to her/his/their cart with {word}'s form token")]
async fn add_other_csrf(
    world: &mut ShopWorld,
    name: String,
    quantity: i64,
    title: String,
    other: String,
) -> anyhow::Result<()> {
    let borrowed = world.shopper(&other).await?.fresh_csrf().await?;
    add_with_form_token(world, &name, quantity, &title, Some(borrowed)).await
}

/// The form token of `name`'s last change, kept to be sent again.
#[when(
    expr = "{word} adds {int} copy/copies of {string} to her/his/their cart with a form token she/he/they already used"
)]
async fn add_spent_csrf(world: &mut ShopWorld, name: String, quantity: i64, title: String) -> anyhow::Result<()> {
    let token = world.shopper(&name).await?.fresh_csrf().await?;
    add_with_form_token(world, &name, quantity, &title, Some(token.clone())).await?;
    ensure!((200..300).contains(&world.last()?.status), "the first use was refused: {}", world.last()?.text);
    add_with_form_token(world, &name, quantity, &title, Some(token)).await
}

#[when(
    expr = "{word} adds {int} copy/copies of {string} to her/his/their cart with the form token the refusal handed her/him/them"
)]
async fn add_with_handed_csrf(world: &mut ShopWorld, name: String, quantity: i64, title: String) -> anyhow::Result<()> {
    let refusal = world.last()?;
    ensure!(refusal.status == 403, "the last change was not refused: {} {}", refusal.status, refusal.text);
    let handed = refusal.body["token"].as_str().context("the refusal hands out no form token")?.to_owned();
    add_with_form_token(world, &name, quantity, &title, Some(handed)).await
}

#[when(expr = "{word} tries to {} without the form token")]
async fn action_without_csrf(world: &mut ShopWorld, name: String, what: String) -> anyhow::Result<()> {
    let credentials = Credentials::bearer(&world.shopper(&name).await?.access_token);
    let reply = perform(&world.api, &what, &credentials).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "the admin tries to {} without the form token")]
async fn admin_without_csrf(world: &mut ShopWorld, what: String) -> anyhow::Result<()> {
    let credentials = Credentials::bearer(&world.admin().await?.access_token);
    let reply = perform(&world.api, &what, &credentials).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} looks at her/his/their cart without the form token")]
async fn read_without_csrf(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let reply = world.shopper(&name).await?.get("/ecom/cart").await?;
    world.set(reply);
    Ok(())
}

#[when("a visitor who has not signed in asks for a form token")]
async fn anonymous_csrf(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.api.get("/csrf/token").await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "someone guesses the password of a shopper {int} times")]
async fn guesses(world: &mut ShopWorld, times: usize) -> anyhow::Result<()> {
    for i in 0..times {
        let reply = world.api.password_grant(UserPool::LOCKED, &format!("guess-{i}")).await?;
        ensure!(reply.status == 400 || reply.status == 429, "guess {i}: {}", reply.status);
    }
    Ok(())
}

#[when("that shopper then signs in with the right password")]
async fn right_password_after_guessing(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.api.password_grant(UserPool::LOCKED, PASSWORD).await?;
    world.set(reply);
    Ok(())
}

#[then("they are told to wait before trying again")]
fn told_to_wait(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.last()?;
    ensure!(reply.status == 429, "status {}: {}", reply.status, reply.text);
    ensure!(reply.body.get("access_token").is_none(), "a token was handed out");
    Ok(())
}
