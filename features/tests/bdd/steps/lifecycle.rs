//! Orders after checkout: shipping, delivering and cancelling, the timeline, the refusals, and the live events.

use std::time::Duration;

use anyhow::{Context as _, ensure};
use bookstore_features::client::{Order, Problem, ServerEvent};
use cucumber::{given, then, when};

use crate::world::ShopWorld;

/// How long a live event may take: the embedded CDC reader passes a commit on within a second.
const LIVE: Duration = Duration::from_secs(10);

async fn ship(world: &mut ShopWorld, owner: &str, carrier: Option<&str>, tracking: Option<&str>) -> anyhow::Result<()> {
    let id = world.last_order(owner)?.id.clone();
    let reply = world.admin().await?.admin_ship(&id, carrier, tracking).await?;
    world.set(reply);
    Ok(())
}

#[given(expr = "the admin has shipped {word}'s last order")]
async fn has_shipped(world: &mut ShopWorld, owner: String) -> anyhow::Result<()> {
    ship(world, &owner, None, None).await?;
    world.last()?.clone().expect(200)?;
    Ok(())
}

#[when(expr = "the admin ships {word}'s last order with {string} and tracking number {string}")]
async fn ships_with(world: &mut ShopWorld, owner: String, carrier: String, tracking: String) -> anyhow::Result<()> {
    ship(world, &owner, Some(&carrier), Some(&tracking)).await
}

#[when(expr = "the admin marks {word}'s last order delivered")]
async fn delivers(world: &mut ShopWorld, owner: String) -> anyhow::Result<()> {
    let id = world.last_order(&owner)?.id.clone();
    let reply = world.admin().await?.admin_deliver(&id).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "the admin cancels {word}'s last order because {string}")]
async fn admin_cancels(world: &mut ShopWorld, owner: String, reason: String) -> anyhow::Result<()> {
    let id = world.last_order(&owner)?.id.clone();
    let reply = world.admin().await?.admin_cancel(&id, Some(&reason)).await?;
    world.set(reply);
    Ok(())
}

#[given(expr = "{word} has cancelled her/his/their last order")]
#[when(expr = "{word} cancels her/his/their last order")]
#[when(expr = "{word} cancels her/his/their last order again")]
async fn cancels(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let id = world.last_order(&name)?.id.clone();
    let reply = world.shopper(&name).await?.cancel_order(&id, None).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} tries to cancel {word}'s last order")]
async fn cancels_other(world: &mut ShopWorld, name: String, owner: String) -> anyhow::Result<()> {
    let id = world.last_order(&owner)?.id.clone();
    let reply = world.shopper(&name).await?.cancel_order(&id, None).await?;
    world.set(reply);
    Ok(())
}

#[when(expr = "{word} looks at her/his/their {string} orders")]
async fn looks_at_orders_in(world: &mut ShopWorld, name: String, status: String) -> anyhow::Result<()> {
    let reply = world.shopper(&name).await?.orders_in(&status).await?;
    world.set(reply);
    Ok(())
}

/// `owner`'s last order as they see it now.
async fn current(world: &mut ShopWorld, owner: &str) -> anyhow::Result<Order> {
    let id = world.last_order(owner)?.id.clone();
    world.shopper(owner).await?.order(&id).await?.expect(200)?.json()
}

#[then(expr = "{word}'s last order is {string}")]
async fn order_is(world: &mut ShopWorld, owner: String, status: String) -> anyhow::Result<()> {
    let order = current(world, &owner).await?;
    ensure!(order.status == status, "the order is {}, not {status}", order.status);
    Ok(())
}

#[then(expr = "{word}'s last order is {string}, sent with {string} and tracking number {string}")]
async fn order_sent(
    world: &mut ShopWorld,
    owner: String,
    status: String,
    carrier: String,
    tracking: String,
) -> anyhow::Result<()> {
    let order = current(world, &owner).await?;
    ensure!(order.status == status, "the order is {}, not {status}", order.status);
    ensure!(order.carrier.as_deref() == Some(carrier.as_str()), "carrier {:?}", order.carrier);
    ensure!(order.tracking_number.as_deref() == Some(tracking.as_str()), "tracking {:?}", order.tracking_number);
    Ok(())
}

#[then(expr = "{word}'s last order's timeline reads {string}")]
async fn timeline_reads(world: &mut ShopWorld, owner: String, steps: String) -> anyhow::Result<()> {
    let order = current(world, &owner).await?;
    let timeline = order.timeline.context("the order has no timeline")?;
    let statuses: Vec<&str> = timeline.iter().map(|step| step.status.as_str()).collect();
    ensure!(statuses.join(", ") == steps, "the timeline reads {statuses:?}");
    Ok(())
}

#[then(expr = "{word} reads {string} on her/his/their last order's timeline, from the shop")]
async fn reads_note(world: &mut ShopWorld, owner: String, note: String) -> anyhow::Result<()> {
    let order = current(world, &owner).await?;
    let timeline = order.timeline.context("the order has no timeline")?;
    let step = timeline.iter().find(|step| step.note.as_deref() == Some(note.as_str()));
    ensure!(step.is_some_and(|step| step.by == "shop"), "no step from the shop says {note:?}: {timeline:?}");
    Ok(())
}

#[then(expr = "the answer is the order, {string}, as it was")]
fn answer_is_order(world: &mut ShopWorld, status: String) -> anyhow::Result<()> {
    let order: Order = world.last()?.clone().expect(200)?.json()?;
    ensure!(order.status == status, "{order:?}");
    Ok(())
}

#[then(expr = "she/he/they is/are told the order is {string} and can only become {string}")]
fn told_status(world: &mut ShopWorld, current: String, next: String) -> anyhow::Result<()> {
    let reply = world.last()?.clone().expect(409)?;
    reply.problem()?;
    let body = &reply.body;
    let allowed: Vec<&str> =
        body["allowedStatuses"].as_array().into_iter().flatten().filter_map(|s| s.as_str()).collect();
    ensure!(body["currentStatus"] == current.as_str(), "currentStatus {}", body["currentStatus"]);
    ensure!(allowed.join(" or ") == next, "allowedStatuses {allowed:?}");
    Ok(())
}

#[then(expr = "they are told the order cannot move any more")]
fn told_final(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.last()?.clone().expect(409)?;
    let problem: Problem = reply.problem()?;
    ensure!(reply.body["allowedStatuses"] == serde_json::json!([]), "{}", problem.detail);
    Ok(())
}

// ---- live events ----

#[given(expr = "{word} is watching her/his/their last order")]
async fn watches_order(world: &mut ShopWorld, name: String) -> anyhow::Result<()> {
    let id = world.last_order(&name)?.id.clone();
    let mut stream =
        world.shopper(&name).await?.watch_order(&id).await?.map_err(|r| anyhow::anyhow!("{}: {}", r.status, r.text))?;
    let first = stream.next(LIVE).await?;
    ensure!(first.name == "ready", "the stream began with {first:?}");
    world.streams.insert(name, stream);
    Ok(())
}

#[given("the admin is watching all orders")]
async fn admin_watches(world: &mut ShopWorld) -> anyhow::Result<()> {
    let mut stream =
        world.admin().await?.watch_all_orders().await?.map_err(|r| anyhow::anyhow!("{}: {}", r.status, r.text))?;
    let first = stream.next(LIVE).await?;
    ensure!(first.name == "ready", "the stream began with {first:?}");
    world.streams.insert("the admin".to_owned(), stream);
    Ok(())
}

#[when(expr = "{word} tries to watch {word}'s last order")]
async fn watches_other(world: &mut ShopWorld, name: String, owner: String) -> anyhow::Result<()> {
    let id = world.last_order(&owner)?.id.clone();
    match world.shopper(&name).await?.watch_order(&id).await? {
        Ok(_) => anyhow::bail!("{name} may watch {owner}'s order"),
        Err(reply) => world.set(reply),
    };
    Ok(())
}

/// The next event on `watcher`'s stream about `order` (others' orders, on the admin's stream, are passed over).
async fn next_about(world: &mut ShopWorld, watcher: &str, order: &str) -> anyhow::Result<ServerEvent> {
    let stream = world.streams.get_mut(watcher).with_context(|| format!("{watcher} is watching nothing"))?;
    loop {
        let event = stream.next(LIVE).await?;
        if event.data["orderId"] == order {
            return Ok(event);
        }
    }
}

#[then(expr = "{word} is told at once that her/his/their order was shipped with {string}")]
async fn told_shipped(world: &mut ShopWorld, name: String, carrier: String) -> anyhow::Result<()> {
    let id = world.last_order(&name)?.id.clone();
    let event = next_about(world, &name, &id).await?;
    ensure!(event.name == "order.shipped" && event.data["status"] == "SHIPPED", "{event:?}");
    ensure!(event.data["carrier"] == carrier.as_str(), "{event:?}");
    ensure!(event.data.get("actor").is_none(), "a shopper is not told which admin: {event:?}");
    Ok(())
}

#[then(expr = "the admin is told at once of {word}'s last order: {string}")]
async fn admin_told(world: &mut ShopWorld, owner: String, names: String) -> anyhow::Result<()> {
    let id = world.last_order(&owner)?.id.clone();
    for expected in names.split(", ") {
        let event = next_about(world, "the admin", &id).await?;
        ensure!(event.name == expected, "expected {expected}, got {event:?}");
    }
    Ok(())
}
