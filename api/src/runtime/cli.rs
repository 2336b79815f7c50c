//! The `bookstore` command: parses settings, starts the runtime, and turns any failure into one line on stderr
//! and a non-zero exit.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;

use crate::identity::issuer::{DevIssuer, SessionLifetimes};
use crate::runtime::config::{BatchArgs, DatabaseArgs, DatabaseSource, GlobalArgs, ServeArgs};
use crate::runtime::db::{DatabaseUrls, Databases, Service};
use crate::runtime::embedded_pg::EmbeddedPostgres;
use crate::runtime::startup::{serve, shutdown_signal};
use crate::runtime::telemetry;
use bookstore_materializer::{Materializer, MaterializerConfig, SourceConfig, TopicMap};

#[derive(Parser, Debug)]
#[command(name = "bookstore", version, about = "An online bookstore platform: shop, admin console and analytics.")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    global: GlobalArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the platform (the default): API, SPA and analytics; embedded PostgreSQL when no database URL is set.
    Serve(ServeArgs),
    /// Run database migrations, then exit (Kubernetes init containers).
    Migrate(MigrateArgs),
    /// Run only the analytics materializer (in a cluster: a Kafka consumer-group member).
    Materialize(MaterializeArgs),
    /// Feed a topic dump (`kcat -C -J` JSON Lines) through the materializer, with a progress bar.
    Replay(ReplayArgs),
    /// Compare the source databases with analytics; exit non-zero on drift.
    Reconcile(ReconcileArgs),
    /// Run only the built-in dev OIDC issuer, as an identity service of its own (the local cluster's stand-in for
    /// Keycloak: several replicas verify its tokens through its JWKS).
    Issuer(IssuerArgs),
}

#[derive(Args, Debug)]
struct IssuerArgs {
    #[arg(long, env = "BOOKSTORE_HTTP_ADDR", value_name = "BOOKSTORE_HTTP_ADDR", default_value = "127.0.0.1:8082")]
    http_addr: std::net::SocketAddr,
    /// Where browsers reach the issuer (a gateway in front of it): tokens are issued by `<this>/auth`.
    #[arg(long, env = "BOOKSTORE_PUBLIC_URL", value_name = "BOOKSTORE_PUBLIC_URL")]
    public_url: String,
    #[arg(long, env = "BOOKSTORE_DEV_USERS", value_name = "BOOKSTORE_DEV_USERS",
          default_value = crate::runtime::config::DEFAULT_DEV_USERS, value_parser = crate::runtime::config::dev_users, hide_default_value = true)]
    dev_users: crate::runtime::config::DevUsers,
    /// Where the signing key is kept (created on first start).
    #[arg(long, env = "BOOKSTORE_DATA_DIR", value_name = "BOOKSTORE_DATA_DIR", default_value = "./.bookstore")]
    data_dir: std::path::PathBuf,
    /// Origins, besides the public URL, that may be redirected to after sign-in (comma-separated).
    #[arg(long, env = "BOOKSTORE_CORS_ORIGINS", value_name = "BOOKSTORE_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    #[command(flatten)]
    dev_issuer: crate::runtime::config::AllowDevIssuer,
}

/// Where change events come from: Kafka (Debezium topics) when `KAFKA_BOOTSTRAP_SERVERS` is set, else the
/// in-process replication reader on the ecom and inventory databases.
#[derive(Args, Debug, Clone)]
struct CdcArgs {
    #[arg(long, env = "KAFKA_BOOTSTRAP_SERVERS", value_name = "KAFKA_BOOTSTRAP_SERVERS")]
    kafka_bootstrap_servers: Option<String>,
    #[arg(long, env = "CDC_ECOM_TOPIC_PREFIX", value_name = "CDC_ECOM_TOPIC_PREFIX", default_value = "ecom-connector")]
    cdc_ecom_topic_prefix: String,
    #[arg(
        long,
        env = "CDC_INVENTORY_TOPIC_PREFIX",
        value_name = "CDC_INVENTORY_TOPIC_PREFIX",
        default_value = "inventory-connector"
    )]
    cdc_inventory_topic_prefix: String,
    /// Kafka consumer group of the materializers.
    #[arg(
        long,
        env = "BOOKSTORE_MATERIALIZER_GROUP",
        value_name = "BOOKSTORE_MATERIALIZER_GROUP",
        default_value = "bookstore-materializer"
    )]
    materializer_group: String,
    /// Replication slots of the embedded source are `<prefix>_ecom` and `<prefix>_inventory`. Slot names are
    /// cluster-wide: materializers of different deployments on one PostgreSQL server need different prefixes.
    #[arg(
        long,
        env = "BOOKSTORE_REPLICATION_SLOT_PREFIX",
        value_name = "BOOKSTORE_REPLICATION_SLOT_PREFIX",
        default_value = "bookstore_materializer",
        value_parser = slot_prefix
    )]
    replication_slot_prefix: String,
    /// librdkafka properties for the materializer's consumer, `key=value` separated by commas (security settings,
    /// timeouts); they apply on top of the materializer's own.
    #[arg(long, env = "BOOKSTORE_KAFKA_PROPERTIES", value_name = "BOOKSTORE_KAFKA_PROPERTIES",
          value_parser = crate::runtime::config::kafka_properties, default_value = "")]
    kafka_properties: crate::runtime::config::KafkaProperties,
}

/// Slot names allow lower-case letters, digits and `_`, at most 63 bytes (with the `_inventory` suffix).
fn slot_prefix(value: &str) -> Result<String, String> {
    let valid = !value.is_empty()
        && value.len() <= 53
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if valid { Ok(value.to_owned()) } else { Err("expected 1-53 characters of a-z, 0-9 and _".to_owned()) }
}

impl CdcArgs {
    /// Kafka when a broker is set, else the replication streams of `databases` (none without them).
    fn source(&self, databases: Option<&DatabaseUrls>) -> Option<SourceConfig> {
        match (&self.kafka_bootstrap_servers, databases) {
            (Some(bootstrap), _) => Some(SourceConfig::Kafka {
                bootstrap_servers: bootstrap.clone(),
                ecom_prefix: self.cdc_ecom_topic_prefix.clone(),
                inventory_prefix: self.cdc_inventory_topic_prefix.clone(),
                group: self.materializer_group.clone(),
                properties: self.kafka_properties.0.clone(),
            }),
            (None, Some(urls)) => Some(SourceConfig::Embedded {
                ecom_url: urls.ecom.clone(),
                inventory_url: urls.inventory.clone(),
                slot_prefix: self.replication_slot_prefix.clone(),
            }),
            (None, None) => None,
        }
    }

    fn topics(&self) -> TopicMap {
        TopicMap::new(self.cdc_ecom_topic_prefix.clone(), self.cdc_inventory_topic_prefix.clone())
    }
}

#[derive(Args, Debug)]
struct MaterializeArgs {
    /// Where /healthz, /readyz and /metrics answer.
    #[arg(long, env = "BOOKSTORE_HTTP_ADDR", value_name = "BOOKSTORE_HTTP_ADDR", default_value = "127.0.0.1:8081")]
    http_addr: std::net::SocketAddr,
    #[command(flatten)]
    batching: BatchArgs,
    #[command(flatten)]
    cdc: CdcArgs,
    #[command(flatten)]
    databases: DatabaseArgs,
}

#[derive(Args, Debug)]
struct ReplayArgs {
    /// The dump: one JSON object per line with topic, partition, offset, key and payload.
    file: std::path::PathBuf,
    #[command(flatten)]
    cdc: CdcArgs,
    #[command(flatten)]
    databases: DatabaseArgs,
}

#[derive(Args, Debug)]
struct ReconcileArgs {
    #[command(flatten)]
    databases: DatabaseArgs,
}

#[derive(Args, Debug)]
struct MigrateArgs {
    /// Which database to migrate.
    #[arg(long, value_enum, default_value_t = Service::All)]
    service: Service,
    #[command(flatten)]
    databases: DatabaseArgs,
}

pub fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            let rendered = err.to_string();
            eprintln!("{}", rendered.lines().next().unwrap_or("error: invalid arguments"));
            return ExitCode::from(2);
        }
    };
    telemetry::init(cli.global.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `bookstore` alone means `bookstore serve`.
fn parse() -> Result<Cli, clap::Error> {
    let cli = Cli::try_parse()?;
    if cli.command.is_some() {
        return Ok(cli);
    }
    let mut args: Vec<_> = std::env::args_os().collect();
    args.insert(1.min(args.len()), "serve".into());
    Cli::try_parse_from(args)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Serve(args)) => {
            if args.oidc_issuer_url.is_none() && !args.dev_issuer.allowed {
                let external = matches!(args.databases.source()?, DatabaseSource::External(_));
                if let Some(refusal) = crate::identity::issuer::exposure(args.http_addr, &args.dev_users.0, external) {
                    anyhow::bail!(refusal);
                }
            }
            with_databases(&args.databases, |urls, embedded| crate::runtime::startup::run(&args, urls, embedded)).await
        }
        Some(Command::Migrate(args)) => match (args.service, args.databases.url_of(args.service)) {
            // One database: only its URL is needed (an init container gets its own database's, and no other).
            (service, Some(url)) if service != Service::All => {
                let db = crate::runtime::db::connect_one(url).await.context("connecting to the database")?;
                crate::runtime::db::migrate(&db, service).await.context("migrating")?;
                tracing::info!(?service, "migrations applied");
                let _ = db.close().await;
                Ok(())
            }
            _ => {
                with_databases(&args.databases, |urls, _| async move {
                    let databases = Databases::connect(&urls).await.context("connecting to the databases")?;
                    databases.migrate(args.service).await.context("migrating")?;
                    tracing::info!(service = ?args.service, "migrations applied");
                    databases.close().await;
                    Ok(())
                })
                .await
            }
        },
        Some(Command::Materialize(args)) => match args.cdc.kafka_bootstrap_servers.is_some() {
            // Reading Debezium's topics, the materializer needs no source database: only its own (the least
            // privilege the cluster gives it).
            true => {
                let analytics = args.databases.analytics_database_url.clone().context(
                    "ANALYTICS_DATABASE_URL must be set (with KAFKA_BOOTSTRAP_SERVERS the other databases are not needed)",
                )?;
                run_materialize(&args, analytics, None).await
            }
            false => {
                let args = &args;
                with_databases(&args.databases, |urls, embedded| async move {
                    if embedded {
                        let databases = Databases::connect(&urls).await.context("connecting to the databases")?;
                        databases.migrate(Service::All).await.context("migrating the embedded databases")?;
                        databases.close().await;
                    }
                    run_materialize(args, urls.analytics.clone(), Some(&urls)).await
                })
                .await
            }
        },
        Some(Command::Replay(args)) => {
            with_databases(&args.databases, |urls, embedded| run_replay(&args, urls, embedded)).await
        }
        Some(Command::Reconcile(args)) => with_databases(&args.databases, |urls, _| run_reconcile(urls)).await,
        Some(Command::Issuer(args)) => run_issuer(&args).await,
        None => unreachable!("parse() always supplies a command"),
    }
}

/// Runs `body` against the configured databases, starting (and afterwards stopping) the embedded cluster when no
/// URLs are set. `embedded` tells the body which case it is in.
async fn with_databases<F, Fut>(args: &DatabaseArgs, body: F) -> anyhow::Result<()>
where
    F: FnOnce(DatabaseUrls, bool) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    match args.source()? {
        DatabaseSource::External(urls) => body(urls, false).await,
        DatabaseSource::Embedded { data_dir, port, bin_dir } => {
            let cluster = EmbeddedPostgres::start(&data_dir, port, bin_dir.as_deref()).await?;
            let result = body(cluster.urls(), true).await;
            cluster.stop().await;
            result
        }
    }
}

async fn run_issuer(args: &IssuerArgs) -> anyhow::Result<()> {
    if let Some(refusal) = crate::identity::issuer::exposure(args.http_addr, &args.dev_users.0, false)
        && !args.dev_issuer.allowed
    {
        anyhow::bail!(refusal);
    }
    let public_url = args.public_url.trim_end_matches('/');
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create BOOKSTORE_DATA_DIR={}", args.data_dir.display()))?;
    let issuer = DevIssuer::start(
        &args.data_dir,
        public_url,
        &args.dev_users.0,
        &args.cors_origins,
        SessionLifetimes::default(),
    )
    .context("starting the dev issuer")?;
    let listener = TcpListener::bind(args.http_addr)
        .await
        .with_context(|| format!("cannot listen on BOOKSTORE_HTTP_ADDR={}", args.http_addr))?;
    let app = issuer.router().route("/healthz", axum::routing::get(|| async { "ok" }));
    tracing::info!(addr = %args.http_addr, issuer = %format!("{public_url}/auth"), "dev OIDC issuer is serving");
    serve(listener, app, shutdown_signal()).await.context("serving HTTP")
}

/// Runs the materializer on `analytics_url`, reading Kafka or, when `sources` are given and no broker is set, the
/// source databases' replication streams.
async fn run_materialize(
    args: &MaterializeArgs,
    analytics_url: String,
    sources: Option<&DatabaseUrls>,
) -> anyhow::Result<()> {
    let source = args.cdc.source(sources).context("no CDC source: set KAFKA_BOOTSTRAP_SERVERS")?;
    let analytics = crate::runtime::db::connect_one(&analytics_url).await.context("connecting to analytics")?;
    let listener = TcpListener::bind(args.http_addr)
        .await
        .with_context(|| format!("cannot listen on BOOKSTORE_HTTP_ADDR={}", args.http_addr))?;
    let config = MaterializerConfig {
        batch_linger: args.batching.cdc_batch_linger_ms,
        ..MaterializerConfig::new(analytics_url, source)
    };
    let mut materializer = Materializer::start(config).await.context("starting the materializer")?;
    let ops = crate::runtime::ops::materializer_router(materializer.status(), analytics.clone());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, ops, async {
        let _ = stop_rx.await;
    }));
    tracing::info!(addr = %args.http_addr, "materializer is running");
    let result = tokio::select! {
        _ = shutdown_signal() => Ok(()),
        failed = materializer.wait() => failed.and(Err(anyhow::anyhow!("the materializer stopped"))),
    };
    let _ = stop_tx.send(());
    let _ = server.await;
    materializer.shutdown().await;
    let _ = analytics.close().await;
    result
}

async fn run_replay(args: &ReplayArgs, urls: DatabaseUrls, embedded: bool) -> anyhow::Result<()> {
    if embedded {
        let databases = Databases::connect(&urls).await.context("connecting to the databases")?;
        databases.migrate(Service::Analytics).await.context("migrating analytics")?;
        databases.close().await;
    }
    if !args.file.is_file() {
        anyhow::bail!("{} is not a readable file", args.file.display());
    }
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} {wide_bar} {eta} left")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let summary = bookstore_materializer::replay(&args.file, &urls.analytics, &args.cdc.topics(), |read, total| {
        bar.set_length(total);
        bar.set_position(read);
    })
    .await?;
    bar.finish_and_clear();
    eprintln!(
        "replayed {} records: {} upserts, {} deletes, {} parse errors (kept in cdc_parse_errors), {} skipped{}",
        summary.records,
        summary.upserts,
        summary.deletes,
        summary.parse_errors,
        summary.skipped,
        if summary.summaries_rebuilt { "; view summaries rebuilt from the facts" } else { "" }
    );
    Ok(())
}

#[allow(clippy::print_stdout)] // the report is the command's output
async fn run_reconcile(urls: DatabaseUrls) -> anyhow::Result<()> {
    let report = bookstore_materializer::reconcile(&urls.ecom, &urls.inventory, &urls.analytics).await?;
    println!(
        "{:<18} {:>12} {:>12} {:>16} {:>16}  drift",
        "table", "source", "analytics", "source sum", "analytics sum"
    );
    for t in &report.tables {
        println!(
            "{:<18} {:>12} {:>12} {:>16} {:>16}  {}",
            t.table,
            t.source_count,
            t.analytics_count,
            t.source_sum,
            t.analytics_sum,
            if t.drift { "YES" } else { "no" }
        );
    }
    if report.has_drift() {
        let drifted: Vec<&str> = report.tables.iter().filter(|t| t.drift).map(|t| t.table.as_str()).collect();
        anyhow::bail!(
            "analytics drifted from the sources in {} (logged to cdc_reconciliation_log)",
            drifted.join(", ")
        );
    }
    Ok(())
}
