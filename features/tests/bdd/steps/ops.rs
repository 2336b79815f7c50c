//! What operators and tools rely on: liveness, readiness, metrics, the API description, errors for bad paths.

use anyhow::ensure;
use cucumber::{then, when};
use reqwest::Method;

use bookstore_features::client::Credentials;

use crate::world::ShopWorld;

#[when(expr = "an operator checks {string}")]
async fn operator_checks(world: &mut ShopWorld, path: String) -> anyhow::Result<()> {
    let reply = world.api.get(&path).await?;
    world.set(reply);
    Ok(())
}

#[then("the store says it is alive")]
fn alive(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.last()?.clone().expect(200)?;
    ensure!(reply.body["status"] == "ok", "{}", reply.text);
    Ok(())
}

#[then("the store says it is ready")]
fn ready(world: &mut ShopWorld) -> anyhow::Result<()> {
    world.last()?.clone().expect(200)?;
    Ok(())
}

#[then(expr = "the metrics count requests to {string} by route, not by book")]
fn metrics_by_route(world: &mut ShopWorld, route: String) -> anyhow::Result<()> {
    let reply = world.last()?.clone().expect(200)?;
    ensure!(reply.text.contains(&format!("route=\"{route}\"")), "{route} not in the metrics");
    ensure!(!reply.text.contains("route=\"/ecom/books/00000000"), "a raw book id became a label");
    ensure!(reply.text.contains("http_request_duration_seconds_bucket"), "no latency histogram");
    Ok(())
}

#[then(expr = "the API description lists {string}")]
fn openapi_lists(world: &mut ShopWorld, path: String) -> anyhow::Result<()> {
    let reply = world.last()?.clone().expect(200)?;
    ensure!(reply.body["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "not OpenAPI 3");
    ensure!(reply.body["paths"].get(&path).is_some(), "{path} missing");
    Ok(())
}

#[when(expr = "a visitor asks to delete the whole catalog")]
async fn delete_catalog(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.api.send(Method::DELETE, "/ecom/books", None, &Credentials::default(), &[]).await?;
    world.set(reply);
    Ok(())
}
