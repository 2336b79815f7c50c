//! Assembles the application: `run` wires `bookstore serve` (databases, identity, events, state, materializer),
//! then the shared state, the router with its middleware, and the server loop with graceful shutdown. `serve` takes a bound listener so tests can bind port 0.

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
use bookstore_materializer::events::{InProcessFeed, KafkaFeed, KafkaFeedSettings, OrderEventFeed};
use bookstore_materializer::{Materializer, MaterializerConfig, SourceConfig};
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
use crate::identity::auth::{Authenticator, JwksSource};
use crate::identity::csrf::{self, Csrf};
use crate::identity::issuer::{DevIssuer, SessionLifetimes};
use crate::runtime::config::ServeArgs;
use crate::runtime::db::{DatabaseUrls, Databases, Service};
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

/// `bookstore serve`: the one place the application is wired — databases, identity, order events, shared state,
/// the in-process materializer (embedded default), the server, and the shutdown in reverse order.
pub async fn run(args: &ServeArgs, urls: DatabaseUrls, embedded: bool) -> anyhow::Result<()> {
    // The embedded default is the only process on its private cluster: no replica needs its cart notifications.
    let databases = if embedded { Databases::connect_alone(&urls).await } else { Databases::connect(&urls).await }
        .context("connecting to the databases")?;
    if embedded {
        // The embedded default migrates itself; in a cluster, `bookstore migrate` runs as an init container.
        databases.migrate(Service::All).await.context("migrating the embedded databases")?;
    }
    let listener = TcpListener::bind(args.http_addr)
        .await
        .with_context(|| format!("cannot listen on BOOKSTORE_HTTP_ADDR={}", args.http_addr))?;
    let (auth, issuer, jwks_follower) = identity(args)?;
    let (order_events, in_process) = order_feed(args);
    let config = AppConfig {
        ecom_url: urls.ecom.clone(),
        web_dir: spa::locate(args.web_dir.clone()),
        commerce: CommerceConfig::default(),
        order_events,
        auth,
        issuer,
        csrf: Csrf::from_settings(args.redis_url.as_deref(), Csrf::DEFAULT_TTL)
            .await
            .context("connecting to REDIS_URL")?,
        cors_origins: args.cors_origins.clone(),
        rate_limiter: ratelimit::from_settings(&args.rate_limits, args.redis_url.as_deref())
            .await
            .context("connecting to REDIS_URL")?,
    };
    let (mut state, background) = AppState::start(databases.clone(), config).await?;
    // One process, one command: the embedded default also runs the analytics pipeline. In a cluster the
    // materializer is its own Deployment (`bookstore materialize`).
    let materializer = if embedded {
        let config = MaterializerConfig {
            batch_linger: args.batching.cdc_batch_linger_ms,
            order_events: Some(in_process),
            ..MaterializerConfig::new(
                urls.analytics.clone(),
                SourceConfig::embedded(urls.ecom.clone(), urls.inventory.clone()),
            )
        };
        let materializer = Materializer::start(config).await.context("starting the analytics materializer")?;
        state.set_materializer(materializer.status());
        Some(materializer)
    } else {
        None
    };
    let commerce = state.commerce.clone();
    tracing::info!(addr = %listener.local_addr()?, embedded, "bookstore is serving");
    let streams = state.order_events.clone();
    let shutdown = async move {
        shutdown_signal().await;
        streams.close();
    };
    let served = serve(listener, router(state), shutdown).await;
    drop(background);
    if let Some(follower) = jwks_follower {
        follower.abort();
    }
    commerce.shutdown().await;
    if let Some(materializer) = materializer {
        materializer.shutdown().await;
    }
    databases.close().await;
    served.context("serving HTTP")
}

/// Who may call: an external issuer's keys (followed from its JWKS), or the built-in dev issuer.
fn identity(args: &ServeArgs) -> anyhow::Result<(Authenticator, Option<DevIssuer>, Option<JoinHandle<()>>)> {
    Ok(match &args.oidc_issuer_url {
        Some(external) => {
            // An external issuer (Keycloak): the dev issuer stays off, keys come from its JWKS.
            let auth = Authenticator::new(vec![external.trim_end_matches('/').to_owned()], args.oidc_audience.clone());
            let source = match &args.oidc_jwks_url {
                Some(url) => JwksSource::Url(url.clone()),
                None => JwksSource::Discovery { issuer: external.clone() },
            };
            let follower = tokio::spawn(auth.clone().follow_jwks(source));
            tracing::info!(issuer = %external, "verifying tokens of an external OIDC issuer");
            (auth, None, Some(follower))
        }
        None => {
            let public_url = args.public_url();
            let issuer = DevIssuer::start(
                &args.databases.data_dir,
                &public_url,
                &args.dev_users.0,
                &args.cors_origins,
                SessionLifetimes::default(),
            )
            .context("starting the dev issuer")?;
            let auth = Authenticator::new(issuer.issuers().to_vec(), args.oidc_audience.clone());
            let (kid, key) = issuer.verifying_key()?;
            auth.add_key(kid, key, jsonwebtoken::Algorithm::RS256);
            tracing::info!(issuer = %format!("{public_url}/auth"), "built-in dev OIDC issuer is on");
            (auth, Some(issuer), None)
        }
    })
}

/// Where the live streams' order events come from: the outbox topic in a cluster, else the in-process CDC reader
/// (embedded; an external-database setup without Kafka has no reader, so its streams stay quiet). The second value
/// is the in-process feed the embedded materializer publishes into.
fn order_feed(args: &ServeArgs) -> (Arc<dyn OrderEventFeed>, InProcessFeed) {
    let in_process = InProcessFeed::default();
    let feed: Arc<dyn OrderEventFeed> = match &args.kafka_bootstrap_servers {
        Some(bootstrap) => Arc::new(KafkaFeed::start(KafkaFeedSettings {
            bootstrap_servers: bootstrap.clone(),
            topic: args.order_events_topic.clone(),
            properties: args.kafka_properties.0.clone(),
        })),
        None => Arc::new(in_process.clone()),
    };
    (feed, in_process)
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
