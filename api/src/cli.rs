//! The `bookstore` command: parses settings, starts the runtime, and turns any failure into one line on stderr
//! and a non-zero exit.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;

use crate::auth::Authenticator;
use crate::config::{DatabaseArgs, DatabaseSource, GlobalArgs, ServeArgs};
use crate::db::{DatabaseUrls, Databases, Service};
use crate::embedded_pg::EmbeddedPostgres;
use crate::startup::{AppConfig, AppState, router, serve, shutdown_signal};
use crate::telemetry;
use bookstore_actors::CommerceConfig;

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
            with_databases(&args.databases, |urls, embedded| run_serve(&args, urls, embedded)).await
        }
        Some(Command::Migrate(args)) => {
            with_databases(&args.databases, |urls, _| async move {
                let databases = Databases::connect(&urls).await.context("connecting to the databases")?;
                databases.migrate(args.service).await.context("migrating")?;
                tracing::info!(service = ?args.service, "migrations applied");
                databases.close().await;
                Ok(())
            })
            .await
        }
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

async fn run_serve(args: &ServeArgs, urls: DatabaseUrls, embedded: bool) -> anyhow::Result<()> {
    let databases = Databases::connect(&urls).await.context("connecting to the databases")?;
    if embedded {
        // The embedded default migrates itself; in a cluster, `bookstore migrate` runs as an init container.
        databases.migrate(Service::All).await.context("migrating the embedded databases")?;
    }
    let listener = TcpListener::bind(args.http_addr)
        .await
        .with_context(|| format!("cannot listen on BOOKSTORE_HTTP_ADDR={}", args.http_addr))?;
    let config = AppConfig {
        ecom_url: urls.ecom.clone(),
        web_dir: crate::spa::locate(args.web_dir.clone()),
        commerce: CommerceConfig::default(),
        // Until an issuer is configured (the identity work), no token verifies: protected routes answer 401.
        auth: Authenticator::new("bookstore", "bookstore-api"),
    };
    let (state, background) = AppState::start(databases.clone(), config).await?;
    let commerce = state.commerce.clone();
    tracing::info!(addr = %listener.local_addr()?, embedded, "bookstore is serving");
    let served = serve(listener, router(state), shutdown_signal()).await;
    drop(background);
    commerce.shutdown().await;
    databases.close().await;
    served.context("serving HTTP")
}
