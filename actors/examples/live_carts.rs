//! Memory of live cart actors for `bench/checkout.sh`: starts the shop's actors against the given databases,
//! opens N shoppers' cart sessions (each an actor holding its cart), and prints the process's resident memory
//! before and after. Usage: `live_carts ECOM_URL INVENTORY_URL N`.

use std::time::Duration;

use bookstore_actors::{Commerce, CommerceConfig};

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (ecom_url, inventory_url) = (args.next().unwrap_or_default(), args.next().unwrap_or_default());
    let n: usize = args.next().map_or(Ok(10_000), |s| s.parse())?;
    let connect = |url: String| async move {
        let mut options = sea_orm::ConnectOptions::new(url);
        options.max_connections(16).sqlx_logging(false);
        sea_orm::Database::connect(options).await
    };
    let config = CommerceConfig { cart_idle: Duration::from_secs(3600), ..Default::default() };
    let commerce = Commerce::start(connect(ecom_url).await?, connect(inventory_url).await?, config)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let before = rss_mib();
    for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
        let opened = chunk.iter().map(|i| {
            let carts = commerce.carts().clone();
            async move { carts.lines(&format!("shopper-{i}")).await }
        });
        for result in futures::future::join_all(opened).await {
            result.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_mib();
    eprintln!(
        "live_sessions={} rss_before_mib={before:.1} rss_after_mib={after:.1} per_session_kib={:.2}",
        commerce.carts().live_sessions(),
        (after - before) * 1024.0 / n as f64
    );
    commerce.shutdown().await;
    Ok(())
}
