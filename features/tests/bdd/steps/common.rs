//! Outcomes any capability shares: how a refusal looks to the person who asked.

use anyhow::ensure;
use cucumber::then;

use crate::world::ShopWorld;

#[then(expr = "the request is rejected as invalid, naming {string}")]
fn invalid_naming(world: &mut ShopWorld, field: String) -> anyhow::Result<()> {
    let problem = world.last()?.clone().expect(422)?.problem()?;
    ensure!(problem.invalid_names().contains(&field), "{field} not among {:?}", problem.invalid_names());
    Ok(())
}

#[then(expr = "the request is rejected as invalid, naming {string} and {string}")]
fn invalid_naming_two(world: &mut ShopWorld, first: String, second: String) -> anyhow::Result<()> {
    let problem = world.last()?.clone().expect(422)?.problem()?;
    for field in [first, second] {
        ensure!(problem.invalid_names().contains(&field), "{field} not among {:?}", problem.invalid_names());
    }
    Ok(())
}

#[then("they are told it was not found")]
fn not_found(world: &mut ShopWorld) -> anyhow::Result<()> {
    world.last()?.clone().expect(404)?.problem()?;
    Ok(())
}

#[then("they are asked to sign in")]
fn asked_to_sign_in(world: &mut ShopWorld) -> anyhow::Result<()> {
    let reply = world.last()?.clone().expect(401)?;
    ensure!(reply.header("www-authenticate").as_deref() == Some("Bearer"), "no WWW-Authenticate: Bearer");
    reply.problem()?;
    Ok(())
}

#[then("they are refused")]
fn refused(world: &mut ShopWorld) -> anyhow::Result<()> {
    world.last()?.clone().expect(403)?.problem()?;
    Ok(())
}

#[then(expr = "they are told the request conflicts with the current state")]
fn conflict(world: &mut ShopWorld) -> anyhow::Result<()> {
    world.last()?.clone().expect(409)?.problem()?;
    Ok(())
}

#[then(expr = "they are told the request conflicts with another book's {string}")]
fn conflict_naming(world: &mut ShopWorld, field: String) -> anyhow::Result<()> {
    let problem = world.last()?.clone().expect(409)?.problem()?;
    ensure!(problem.invalid_names().contains(&field), "{field} not among {:?}", problem.invalid_names());
    Ok(())
}

#[then(expr = "the answer is a problem report with status {int}")]
fn problem_with_status(world: &mut ShopWorld, status: u16) -> anyhow::Result<()> {
    let problem = world.last()?.clone().expect(status)?.problem()?;
    ensure!(problem.status == status, "the problem says {} inside a {status} answer", problem.status);
    ensure!(!problem.title.is_empty() && !problem.kind.is_empty(), "a problem needs a type and a title");
    Ok(())
}
