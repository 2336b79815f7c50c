//! Typed settings. Every setting is an environment variable with a flag of the same name (docs/API.md); a bad value
//! stops start-up with one line naming the variable and what it expects.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use crate::identity::issuer::DevUserSpec;
use crate::runtime::db::DatabaseUrls;
use crate::runtime::telemetry::LogFormat;

/// Where the three databases come from.
#[derive(Args, Clone, Debug)]
pub struct DatabaseArgs {
    /// Embedded PostgreSQL cluster and other local state.
    #[arg(long, env = "BOOKSTORE_DATA_DIR", value_name = "BOOKSTORE_DATA_DIR", default_value = "./.bookstore")]
    pub data_dir: PathBuf,
    /// TCP port of the embedded PostgreSQL (127.0.0.1 only).
    #[arg(long, env = "BOOKSTORE_PG_PORT", value_name = "BOOKSTORE_PG_PORT", default_value_t = 5433, value_parser = clap::value_parser!(u16).range(1..))]
    pub pg_port: u16,
    /// Folder with initdb/postgres/pg_ctl; found automatically when unset.
    #[arg(long, env = "BOOKSTORE_PG_BIN_DIR", value_name = "BOOKSTORE_PG_BIN_DIR")]
    pub pg_bin_dir: Option<PathBuf>,
    /// The ecom database (distributed mode); unset → embedded.
    #[arg(long, env = "ECOM_DATABASE_URL", value_name = "ECOM_DATABASE_URL", value_parser = postgres_url)]
    pub ecom_database_url: Option<String>,
    /// The inventory database (distributed mode); unset → embedded.
    #[arg(long, env = "INVENTORY_DATABASE_URL", value_name = "INVENTORY_DATABASE_URL", value_parser = postgres_url)]
    pub inventory_database_url: Option<String>,
    /// The analytics database (distributed mode); unset → embedded.
    #[arg(long, env = "ANALYTICS_DATABASE_URL", value_name = "ANALYTICS_DATABASE_URL", value_parser = postgres_url)]
    pub analytics_database_url: Option<String>,
}

/// The embedded cluster, or databases someone else runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseSource {
    Embedded { data_dir: PathBuf, port: u16, bin_dir: Option<PathBuf> },
    External(DatabaseUrls),
}

impl DatabaseArgs {
    /// The URL setting of one service's database (`None` for all of them, or when unset).
    pub fn url_of(&self, service: crate::runtime::db::Service) -> Option<&str> {
        use crate::runtime::db::Service;
        match service {
            Service::Ecom => self.ecom_database_url.as_deref(),
            Service::Inventory => self.inventory_database_url.as_deref(),
            Service::Analytics => self.analytics_database_url.as_deref(),
            Service::All => None,
        }
    }

    pub fn source(&self) -> anyhow::Result<DatabaseSource> {
        let urls = [
            ("ECOM_DATABASE_URL", &self.ecom_database_url),
            ("INVENTORY_DATABASE_URL", &self.inventory_database_url),
            ("ANALYTICS_DATABASE_URL", &self.analytics_database_url),
        ];
        let missing: Vec<&str> = urls.iter().filter(|(_, v)| v.is_none()).map(|(n, _)| *n).collect();
        match (&self.ecom_database_url, &self.inventory_database_url, &self.analytics_database_url) {
            (Some(ecom), Some(inventory), Some(analytics)) => Ok(DatabaseSource::External(DatabaseUrls {
                ecom: ecom.clone(),
                inventory: inventory.clone(),
                analytics: analytics.clone(),
            })),
            (None, None, None) => Ok(DatabaseSource::Embedded {
                data_dir: self.data_dir.clone(),
                port: self.pg_port,
                bin_dir: self.pg_bin_dir.clone(),
            }),
            _ => anyhow::bail!(
                "ECOM_DATABASE_URL, INVENTORY_DATABASE_URL and ANALYTICS_DATABASE_URL must be set together or not at all; missing: {}",
                missing.join(", ")
            ),
        }
    }
}

/// Settings of `bookstore serve`.
#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    /// Listen address of the HTTP server.
    #[arg(long, env = "BOOKSTORE_HTTP_ADDR", value_name = "BOOKSTORE_HTTP_ADDR", default_value = "127.0.0.1:8080")]
    pub http_addr: SocketAddr,
    /// Where browsers reach this server (the dev issuer's `iss`, redirect checks); default `http://<http addr>`.
    #[arg(long, env = "BOOKSTORE_PUBLIC_URL", value_name = "BOOKSTORE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Users of the built-in dev issuer: `name:password:role+role,…` (roles: customer, admin).
    #[arg(long, env = "BOOKSTORE_DEV_USERS", value_name = "BOOKSTORE_DEV_USERS", default_value = DEFAULT_DEV_USERS,
          value_parser = dev_users, hide_default_value = true)]
    pub dev_users: DevUsers,
    #[command(flatten)]
    pub dev_issuer: AllowDevIssuer,
    /// An external OIDC issuer (Keycloak); unset → the built-in dev issuer.
    #[arg(long, env = "OIDC_ISSUER_URL", value_name = "OIDC_ISSUER_URL")]
    pub oidc_issuer_url: Option<String>,
    /// The audience access tokens must carry.
    #[arg(long, env = "OIDC_AUDIENCE", value_name = "OIDC_AUDIENCE", default_value = crate::identity::auth::DEFAULT_AUDIENCE)]
    pub oidc_audience: String,
    /// Where the issuer's keys are, when it differs from what discovery says (an in-cluster address).
    #[arg(long, env = "OIDC_JWKS_URL", value_name = "OIDC_JWKS_URL")]
    pub oidc_jwks_url: Option<String>,
    /// Requests per minute per client for each tier (`catalog=200,cart=60,checkout=10,admin=30,analytics=300`),
    /// or `off`.
    #[arg(long, env = "BOOKSTORE_RATE_LIMITS", value_name = "BOOKSTORE_RATE_LIMITS", default_value = "catalog=200,cart=60,checkout=10,admin=30,analytics=300",
          value_parser = crate::edge::ratelimit::parse_limits)]
    pub rate_limits: crate::edge::ratelimit::Limits,
    /// Origins allowed to call the API cross-origin (comma-separated, e.g. `https://shop.example`); unset → none.
    #[arg(long, env = "BOOKSTORE_CORS_ORIGINS", value_name = "BOOKSTORE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Redis for state shared by replicas (CSRF tokens, rate budgets); unset → in-process.
    #[arg(long, env = "REDIS_URL", value_name = "REDIS_URL")]
    pub redis_url: Option<String>,
    /// Embedded default: the in-process CDC reader's batching.
    #[command(flatten)]
    pub batching: BatchArgs,
    /// A cluster's Kafka: the live order streams are fed from the outbox topic there (every replica reads all of
    /// it); unset → from the in-process CDC reader of the embedded default, or from nothing.
    #[arg(long, env = "KAFKA_BOOTSTRAP_SERVERS", value_name = "KAFKA_BOOTSTRAP_SERVERS")]
    pub kafka_bootstrap_servers: Option<String>,
    /// The topic Debezium's outbox event router writes order events to.
    #[arg(
        long,
        env = "BOOKSTORE_ORDER_EVENTS_TOPIC",
        value_name = "BOOKSTORE_ORDER_EVENTS_TOPIC",
        default_value = "outbox.event.order"
    )]
    pub order_events_topic: String,
    /// librdkafka properties for that consumer, `key=value` separated by commas (security settings, timeouts).
    #[arg(long, env = "BOOKSTORE_KAFKA_PROPERTIES", value_name = "BOOKSTORE_KAFKA_PROPERTIES",
          value_parser = kafka_properties, default_value = "")]
    pub kafka_properties: KafkaProperties,
    /// The built web app to serve at `/` (default `web/dist`).
    #[arg(long, env = "BOOKSTORE_WEB_DIR", value_name = "BOOKSTORE_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    #[command(flatten)]
    pub databases: DatabaseArgs,
}

/// Settings every command shares.
#[derive(Args, Clone, Debug)]
pub struct GlobalArgs {
    /// Log format: pretty for people, json for log shippers.
    #[arg(long, env = "BOOKSTORE_LOG_FORMAT", value_name = "BOOKSTORE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,
}

/// The operator's explicit consent to run the built-in dev issuer where it refuses by default (see
/// [`crate::identity::issuer::exposure`]): `serve` and `issuer` share it.
#[derive(Args, Clone, Copy, Debug)]
pub struct AllowDevIssuer {
    /// Run the built-in dev issuer even with its published users on a non-loopback address, or beside external
    /// databases (`true`/`false`).
    #[arg(long = "allow-dev-issuer", env = "BOOKSTORE_ALLOW_DEV_ISSUER", value_name = "BOOKSTORE_ALLOW_DEV_ISSUER",
          default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), num_args = 1)]
    pub allowed: bool,
}

/// The dev issuer's users unless `BOOKSTORE_DEV_USERS` says otherwise (README states these passwords).
pub const DEFAULT_DEV_USERS: &str = "user1:user1pass:customer,admin1:admin1pass:customer+admin";

/// The parsed `BOOKSTORE_DEV_USERS` list (a newtype, so clap takes it as one value).
#[derive(Clone, Debug)]
pub struct DevUsers(pub Vec<DevUserSpec>);

pub(crate) fn dev_users(raw: &str) -> Result<DevUsers, String> {
    crate::identity::issuer::parse_users(raw)
        .map(DevUsers)
        .map_err(|e| format!("expected name:password:role+role,… ({e})"))
}

impl ServeArgs {
    /// The public URL, derived from the listen address when not set.
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None if self.http_addr.ip().is_unspecified() => format!("http://127.0.0.1:{}", self.http_addr.port()),
            None => format!("http://{}", self.http_addr),
        }
    }
}

/// How a CDC source batches changes (`serve` on the embedded default, `materialize`).
#[derive(Args, Clone, Debug)]
pub struct BatchArgs {
    /// How long a CDC source keeps collecting changes after the first one of a batch (milliseconds, 0–5000).
    /// Longer means fewer analytics transactions under load and staler views.
    #[arg(long, env = "BOOKSTORE_CDC_BATCH_LINGER_MS", value_name = "BOOKSTORE_CDC_BATCH_LINGER_MS",
          default_value = "100", value_parser = batch_linger)]
    pub cdc_batch_linger_ms: std::time::Duration,
}

/// Milliseconds, 0–5000, as a duration.
fn batch_linger(raw: &str) -> Result<std::time::Duration, String> {
    match raw.parse::<u64>() {
        Ok(ms) if ms <= 5000 => Ok(std::time::Duration::from_millis(ms)),
        _ => Err("expected a whole number of milliseconds from 0 to 5000".to_owned()),
    }
}

fn postgres_url(raw: &str) -> Result<String, String> {
    if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        Ok(raw.to_owned())
    } else {
        Err("expected a PostgreSQL URL (postgres://user:password@host:port/database)".to_owned())
    }
}

/// The parsed `BOOKSTORE_KAFKA_PROPERTIES` (a newtype, so clap takes the list as one value).
#[derive(Debug, Clone, Default)]
pub struct KafkaProperties(pub Vec<(String, String)>);

pub fn kafka_properties(raw: &str) -> Result<KafkaProperties, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_owned(), value.trim().to_owned())),
            _ => Err(format!("`{entry}` is not key=value")),
        })
        .collect::<Result<_, _>>()
        .map(KafkaProperties)
}
