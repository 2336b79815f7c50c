//! Freshness benchmark probe (`bench/analytics.sh`): places orders in the ecom database at a fixed rate, each in
//! its own transaction, and polls `vw_sales_over_time` in the analytics database until each order is counted
//! there; prints the commit-to-visible latency distribution as one line.
//!
//! Usage: `freshness ECOM_URL ANALYTICS_URL [orders_per_second] [seconds]`. The orders are the only writes, so the
//! view's order count for today (minus its value at the start) is the number of orders already visible, in
//! commit order.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::PgPoolOptions;
use sea_orm::sqlx::{self, PgPool};

async fn visible(analytics: &PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT coalesce((SELECT order_count FROM vw_sales_over_time \
         WHERE sale_date = (now() AT TIME ZONE 'UTC')::date), 0)::int8",
    )
    .fetch_one(analytics)
    .await
    .expect("reading vw_sales_over_time")
}

async fn place_order(ecom: &PgPool, n: u64) {
    let mut tx = ecom.begin().await.expect("begin");
    let id: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO orders (user_id, total, status) \
         SELECT 'bench', price, 'CONFIRMED' FROM books ORDER BY id OFFSET $1 LIMIT 1 RETURNING id",
    )
    .bind((n % 10) as i64)
    .fetch_one(&mut *tx)
    .await
    .expect("order");
    sqlx::query(
        "INSERT INTO order_items (order_id, book_id, quantity, price_at_purchase) \
         SELECT $1, id, 1, price FROM books ORDER BY id OFFSET $2 LIMIT 1",
    )
    .bind(id)
    .bind((n % 10) as i64)
    .execute(&mut *tx)
    .await
    .expect("item");
    tx.commit().await.expect("commit");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[allow(clippy::print_stdout)] // the measurement is the output
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(ecom_url), Some(analytics_url)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: freshness ECOM_URL ANALYTICS_URL [orders_per_second] [seconds]");
        std::process::exit(2);
    };
    let rate: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(100);
    let seconds: u64 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(30);
    let ecom = PgPoolOptions::new().max_connections(1).connect(ecom_url).await.expect("ecom");
    let analytics = PgPoolOptions::new().max_connections(1).connect(analytics_url).await.expect("analytics");
    let baseline = visible(&analytics).await;
    let total = rate * seconds;
    let committed: Arc<Mutex<Vec<Instant>>> = Arc::default();

    let writer = {
        let committed = committed.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate));
            let started = Instant::now();
            for n in 0..total {
                tick.tick().await;
                place_order(&ecom, n).await;
                committed.lock().unwrap().push(Instant::now());
            }
            started.elapsed()
        })
    };
    let mut seen: Vec<Instant> = Vec::with_capacity(total as usize);
    let deadline = Instant::now() + Duration::from_secs(seconds + 30);
    while (seen.len() as u64) < total && Instant::now() < deadline {
        let count = (visible(&analytics).await - baseline).max(0) as usize;
        let now = Instant::now();
        let known = committed.lock().unwrap().len();
        while seen.len() < count.min(known) {
            seen.push(now);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = writer.await.expect("writer");
    let committed = committed.lock().unwrap().clone();
    let mut latencies: Vec<Duration> =
        seen.iter().zip(&committed).map(|(s, c)| s.saturating_duration_since(*c)).collect();
    latencies.sort();
    if latencies.is_empty() {
        println!("no order became visible within {} s", seconds + 30);
        std::process::exit(1);
    }
    println!(
        "{} orders at {:.0}/s, {} visible: p50 {} ms, p95 {} ms, p99 {} ms, max {} ms",
        committed.len(),
        committed.len() as f64 / elapsed.as_secs_f64(),
        seen.len(),
        percentile(&latencies, 0.50).as_millis(),
        percentile(&latencies, 0.95).as_millis(),
        percentile(&latencies, 0.99).as_millis(),
        latencies.last().unwrap().as_millis(),
    );
}
