//! The benchmark anchor: a bare axum server answering `GET /ecom/books` with fixed bytes from memory.
//!
//! `bench/catalog.sh` measures `bookstore serve` and this side by side in one run, so the ratio says what our
//! middleware, cache and routing cost over the floor axum itself sets on this machine.
//! Usage: `bare_axum ADDR BODY_FILE`.

use axum::Router;
use axum::http::header;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:18081".to_owned());
    let body: &'static [u8] = std::fs::read(args.next().unwrap_or_else(|| "body.json".to_owned()))?.leak();
    let app = Router::new()
        .route("/ecom/books", get(move || async move { ([(header::CONTENT_TYPE, "application/json")], body) }));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, app).await
}
