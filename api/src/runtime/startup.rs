//! Assembles the application: shared state, the router with its middleware, and the server loop with graceful
//! shutdown. `serve` takes a bound listener so tests can bind port 0.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::FromRef;
use axum::middleware;
use bookstore_actors::{Commerce, CommerceConfig};
use bookstore_entities::repo::catalog::CatalogRepo;
use bookstore_entities::repo::order::OrderRepo;
use bookstore_entities::repo::stock::StockRepo;
use bookstore_materializer::StatusHandle;
use bookstore_materializer::events::OrderEventFeed;
use sea_orm::sqlx::postgres::PgListener;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::edge::error;
use crate::edge::openapi;
use crate::edge::ratelimit::{self, RateLimiter};
use crate::features::catalog::{self, CatalogCache};
use crate::features::orders::OrderEvents;
use crate::features::{admin, analytics, orders, shop, spa, stock};
use crate::identity::auth::Authenticator;
use crate::identity::csrf::{self, Csrf};
use crate::identity::issuer::DevIssuer;
use crate::runtime::db::Databases;
use crate::runtime::ops;

/// What handlers share, behind one `Arc`: axum clones the state for every request (and every middleware that
/// takes it), and one reference count is cheaper than a dozen handles, two of them owning heap data.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The handles inside [`AppState`].
#[derive(Clone)]
pub struct Shared {
    pub catalog: CatalogRepo,
    pub stock: StockRepo,
    pub orders: OrderRepo,
    pub cache: CatalogCache,
    pub commerce: Commerce,
    /// Order moves as they happen, for the live streams.
    pub order_events: OrderEvents,
    pub auth: Authenticator,
    /// The built-in OIDC issuer, when no external one is configured.
    pub issuer: Option<DevIssuer>,
    pub csrf: Csrf,
    /// Per-client budgets; `None` when limiting is off.
    pub rate_limiter: Option<Arc<dyn RateLimiter>>,
    /// Origins allowed to call the API from another origin (CORS); empty = same origin only.
    pub cors_origins: Vec<String>,
    /// The in-process materializer's health, when this process runs one (readiness includes it).
    pub materializer: Option<StatusHandle>,
    pub databases: Databases,
    /// The built web app served at `/`, if any.
    pub web_dir: Option<PathBuf>,
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// What the application needs besides its databases.
#[derive(Clone)]
pub struct AppConfig {
    /// The ecom database URL, for the catalog-change listener.
    pub ecom_url: String,
    pub web_dir: Option<PathBuf>,
    pub commerce: CommerceConfig,
    /// Where order events come from: the in-process CDC reader (embedded) or the outbox topic (cluster).
    pub order_events: Arc<dyn OrderEventFeed>,
    pub auth: Authenticator,
    pub issuer: Option<DevIssuer>,
    pub csrf: Csrf,
    pub rate_limiter: Option<Arc<dyn RateLimiter>>,
    pub cors_origins: Vec<String>,
}

impl AppState {
    /// The state, plus the background tasks that keep it fresh (the catalog- and cart-change listeners on
    /// `ecom_url`).
    pub async fn start(databases: Databases, config: AppConfig) -> anyhow::Result<(Self, BackgroundTasks)> {
        let commerce = Commerce::start(databases.ecom.clone(), databases.inventory.clone(), config.commerce)
            .await
            .map_err(|e| anyhow::anyhow!("starting the shop's actors: {e}"))?;
        let state = Self(Arc::new(Shared {
            catalog: CatalogRepo::new(databases.ecom.clone()),
            stock: StockRepo::new(databases.inventory.clone()),
            orders: OrderRepo::new(databases.ecom.clone()),
            cache: CatalogCache::default(),
            commerce,
            order_events: OrderEvents::new(config.order_events),
            auth: config.auth,
            issuer: config.issuer,
            csrf: config.csrf,
            rate_limiter: config.rate_limiter,
            cors_origins: config.cors_origins,
            materializer: None,
            databases,
            web_dir: config.web_dir,
        }));
        let listener = PgListener::connect(&config.ecom_url).await.context("listening for catalog changes")?;
        let catalog = tokio::spawn(state.cache.clone().follow_changes(listener));
        let listener = PgListener::connect(&config.ecom_url).await.context("listening for cart changes")?;
        let origin = state.databases.instance.clone();
        let carts = tokio::spawn(state.commerce.carts().clone().follow_changes(listener, origin));
        Ok((state, BackgroundTasks(vec![catalog, carts])))
    }

    /// Makes readiness include the in-process materializer's health.
    pub fn set_materializer(&mut self, status: StatusHandle) {
        Arc::make_mut(&mut self.0).materializer = Some(status);
    }
}

/// Tasks that live as long as the application; dropping this stops them.
pub struct BackgroundTasks(Vec<JoinHandle<()>>);

impl Drop for BackgroundTasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// The feature routers merged, and the OpenAPI document of their handlers, completed (`crate::edge::openapi`).
pub fn api() -> (Router<AppState>, serde_json::Value) {
    let (router, generated) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(utoipa_axum::routes!(csrf::token))
        .merge(catalog::router())
        .merge(stock::router())
        .merge(shop::router())
        .merge(orders::router())
        .merge(admin::router())
        .merge(analytics::router())
        .split_for_parts();
    (router, openapi::document(generated))
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    build(state, Router::new())
}

/// The application with `extra` routes under the same middleware (tests use it to reach failure paths).
pub fn build(state: AppState, extra: Router<AppState>) -> Router {
    // The metrics recorder must exist before the first request is measured.
    ops::prometheus();
    let (api, openapi) = api();
    let issuer = state.issuer.as_ref().map_or_else(Router::new, DevIssuer::router);
    let [csp, nosniff, referrer, frames, permissions] = crate::edge::headers::security_layers();
    api.merge(ops::router(openapi))
        .merge(issuer)
        .merge(extra)
        .fallback(spa::fallback)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), csrf::require))
        .layer(middleware::from_fn_with_state(state.clone(), ratelimit::limit))
        .layer(middleware::from_fn(ops::track))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
        )
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(middleware::from_fn(error::problem_instance))
        .layer(crate::edge::headers::cors(&state.cors_origins))
        .layer(csp)
        .layer(nosniff)
        .layer(referrer)
        .layer(frames)
        .layer(permissions)
        .with_state(state)
}

/// Serves until `shutdown` resolves, then lets requests in flight finish (up to 10 s).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    // The peer address is the rate-limit key of anonymous clients.
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(
        async move {
            shutdown.await;
            let _ = stopping_tx.send(());
        },
    );
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        result = &mut server => result,
        _ = async { let _ = stopping_rx.await; tokio::time::sleep(Duration::from_secs(10)).await } => {
            tracing::warn!("requests still running 10 s after shutdown began; stopping anyway");
            Ok(())
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM (what Kubernetes sends).
pub async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot watch SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
