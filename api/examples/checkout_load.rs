//! Checkout load generator for `bench/checkout.sh`: N shoppers (dev-issuer users `bench1`…`benchN`, password
//! `benchpass`), each in a loop adding one copy of a book to the cart and checking out, for a fixed time.
//! Prints `checkouts=<n> seconds=<s> tps=<x> p50_ms=<x> p99_ms=<x> errors=<n>` on one line.
//! Usage: `checkout_load BASE_URL BOOK_ID SHOPPERS SECONDS [LATENCY_FILE]`; with a latency file, each checkout's
//! latency in milliseconds is appended to it, one per line, so that several rounds can be summarised together.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let base = args.next().unwrap_or_else(|| "http://127.0.0.1:8080".to_owned());
    let book = args.next().unwrap_or_else(|| "00000000-0000-0000-0000-000000000001".to_owned());
    let shoppers: usize = args.next().map_or(Ok(32), |s| s.parse())?;
    let seconds: u64 = args.next().map_or(Ok(20), |s| s.parse())?;
    let latency_file = args.next();
    let client = reqwest::Client::builder().pool_max_idle_per_host(shoppers).build()?;

    let mut sessions = Vec::new();
    for i in 1..=shoppers {
        let form = [
            ("grant_type", "password"),
            ("client_id", "ui-client"),
            ("username", &format!("bench{i}")),
            ("password", "benchpass"),
        ];
        let tokens: Value = client.post(format!("{base}/auth/token")).form(&form).send().await?.json().await?;
        let token = tokens["access_token"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no token for bench{i}: {tokens}"))?
            .to_owned();
        let csrf: Value = client.get(format!("{base}/csrf/token")).bearer_auth(&token).send().await?.json().await?;
        sessions.push((token, csrf["token"].as_str().unwrap_or_default().to_owned()));
    }

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = sessions
        .into_iter()
        .map(|(token, mut csrf)| {
            let (client, base, book) = (client.clone(), base.clone(), book.clone());
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0u64);
                while Instant::now() < deadline {
                    let begun = Instant::now();
                    // CSRF tokens are single use: each answer carries the one the next write spends.
                    let added = client
                        .post(format!("{base}/ecom/cart"))
                        .bearer_auth(&token)
                        .header("x-csrf-token", &csrf)
                        .json(&json!({"bookId": book, "quantity": 1}))
                        .send();
                    let added = status_after_body(added, &mut csrf).await;
                    let bought = client
                        .post(format!("{base}/ecom/checkout"))
                        .bearer_auth(&token)
                        .header("x-csrf-token", &csrf)
                        .send();
                    let bought = status_after_body(bought, &mut csrf).await;
                    match (added, bought) {
                        (Some(201), Some(201)) => latencies.push(begun.elapsed()),
                        _ => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for worker in workers {
        let (latencies, failed) = worker.await?;
        all.extend(latencies);
        errors += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let line = format!(
        "checkouts={} seconds={elapsed:.1} tps={:.1} p50_ms={:.1} p99_ms={:.1} errors={errors}",
        all.len(),
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99)
    );
    eprintln!("{line}");
    if let Some(path) = latency_file {
        use std::io::Write as _;
        let mut out = std::io::BufWriter::new(std::fs::OpenOptions::new().create(true).append(true).open(path)?);
        for latency in &all {
            writeln!(out, "{:.3}", latency.as_secs_f64() * 1000.0)?;
        }
        out.flush()?;
    }
    Ok(())
}

/// The response's status once its body has been read to the end, as a real client does (and as hyper needs to
/// put the connection back in its pool: a response dropped unread closes its connection), keeping the next CSRF
/// token it hands out in `csrf`. `None` on any error.
async fn status_after_body(
    response: impl Future<Output = reqwest::Result<reqwest::Response>>,
    csrf: &mut String,
) -> Option<u16> {
    let response = response.await.ok()?;
    let status = response.status().as_u16();
    if let Some(next) = response.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        *csrf = next.to_owned();
    }
    response.bytes().await.ok()?;
    Some(status)
}
