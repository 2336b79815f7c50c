//! Starting and stopping a real `bookstore serve` on a fresh embedded data dir, or pointing at one already running.
//!
//! Which binary: `BOOKSTORE_BIN` when set. Otherwise, run by cargo, the suite builds `bookstore` itself into its
//! own `target/<profile>/` (`cargo build -p bookstore-api --bin bookstore`, nothing to do when it is current), so
//! `cargo test -p bookstore-features` works on a fresh clone and never tests a stale binary. Run without cargo,
//! it takes `bookstore` beside its own `target/<profile>/`, then the CI build in `$BOOKSTORE_CACHE/target/debug/` (default `/var/cache/bookstore`).

use std::fs::{File, Permissions};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The CI's shared target folder (`.ci/run`), the last place a `bookstore` binary is looked for.
/// The CI build's target folder: `$BOOKSTORE_CACHE/target` (`.ci/run`'s one setting for what it caches).
fn ci_target() -> PathBuf {
    let cache = std::env::var_os("BOOKSTORE_CACHE").unwrap_or_else(|| "/var/cache/bookstore".into());
    PathBuf::from(cache).join("target")
}

/// A password every generated user shares (they exist only on the throwaway server).
pub const PASSWORD: &str = "bdd-secret";

/// The users the dev issuer is started with: a pool of shoppers and of admins, so every scenario can have people
/// of its own and scenarios run in parallel without seeing each other's carts and orders.
#[derive(Clone, Debug)]
pub struct UserPool {
    pub shoppers: usize,
    pub admins: usize,
    /// More shoppers by name (e.g. one unique to a run, whose budget in a shared Redis no earlier run touched).
    pub extra_shoppers: Vec<String>,
}

impl Default for UserPool {
    fn default() -> Self {
        Self { shoppers: 400, admins: 120, extra_shoppers: Vec::new() }
    }
}

impl UserPool {
    pub fn shopper(i: usize) -> String {
        format!("bdd-shopper-{i:03}")
    }

    pub fn admin(i: usize) -> String {
        format!("bdd-admin-{i:03}")
    }

    /// An admin who is not a customer.
    pub const CLERK: &'static str = "bdd-clerk";
    /// A shopper only the sign-in scenarios use (wrong passwords are counted per name).
    pub const GUARD: &'static str = "bdd-guard";
    /// A shopper the throttling scenario locks out.
    pub const LOCKED: &'static str = "bdd-locked";

    /// `BOOKSTORE_DEV_USERS` for this pool.
    pub fn dev_users(&self) -> String {
        let mut users: Vec<String> =
            (1..=self.shoppers).map(|i| format!("{}:{PASSWORD}:customer", Self::shopper(i))).collect();
        users.extend((1..=self.admins).map(|i| format!("{}:{PASSWORD}:customer+admin", Self::admin(i))));
        users.push(format!("{}:{PASSWORD}:admin", Self::CLERK));
        users.push(format!("{}:{PASSWORD}:customer", Self::GUARD));
        users.push(format!("{}:{PASSWORD}:customer", Self::LOCKED));
        users.extend(self.extra_shoppers.iter().map(|name| format!("{name}:{PASSWORD}:customer")));
        users.join(",")
    }
}

/// How to start a server.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub users: UserPool,
    /// `BOOKSTORE_RATE_LIMITS`; `off` for the main server so only the rate-limit scenarios see 429s.
    pub rate_limits: String,
    /// `REDIS_URL` (budgets and CSRF tokens in Redis); `None` keeps everything in the process.
    pub redis_url: Option<String>,
    /// Where the server's log goes.
    pub log_file: PathBuf,
}

/// A running `bookstore serve`, stopped with SIGTERM when dropped; or a server someone else runs.
pub struct Server {
    pub base_url: String,
    child: Option<Child>,
    _data_dir: Option<tempfile::TempDir>,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The `bookstore` binary to run (see the module documentation). Built at most once per run.
pub fn locate_binary() -> anyhow::Result<PathBuf> {
    static BINARY: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    BINARY.get_or_init(|| find_or_build().map_err(|e| format!("{e:#}"))).clone().map_err(anyhow::Error::msg)
}

fn find_or_build() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("BOOKSTORE_BIN") {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!("BOOKSTORE_BIN={} is not a file", path.display());
        }
        return Ok(path);
    }
    // target/<profile>/deps/bdd-<hash> → target/<profile>
    let profile_dir = std::env::current_exe().ok().and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()));
    if let (Some(cargo), Some(profile_dir)) = (std::env::var_os("CARGO"), &profile_dir) {
        return build(Path::new(&cargo), profile_dir);
    }
    let mut candidates: Vec<PathBuf> = profile_dir.iter().map(|dir| dir.join("bookstore")).collect();
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(dir).join("debug/bookstore"));
    }
    let ci_target = ci_target();
    candidates.push(ci_target.join("debug/bookstore"));
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        anyhow::anyhow!(
            "no bookstore binary found: build it with `cargo build -p bookstore-api --bin bookstore` \
             (into {} or this test's target folder), set BOOKSTORE_BIN, or run the suite with cargo",
            ci_target.display()
        )
    })
}

/// `cargo build -p bookstore-api --bin bookstore` into `profile_dir` (`<target>/<profile>`), with the profile this
/// test was built with; returns the binary. Cargo does nothing when the binary is current.
fn build(cargo: &Path, profile_dir: &Path) -> anyhow::Result<PathBuf> {
    let (Some(target_dir), Some(dir_name)) = (profile_dir.parent(), profile_dir.file_name().and_then(|n| n.to_str()))
    else {
        bail!("cannot tell the target folder from {}", profile_dir.display());
    };
    // The dev profile builds into `debug`; every other profile into a folder of its own name.
    let profile = if dir_name == "debug" { "dev" } else { dir_name };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    eprintln!("bdd: building the bookstore binary (cargo build -p bookstore-api --bin bookstore --profile {profile})");
    let status = Command::new(cargo)
        .current_dir(&workspace)
        .args(["build", "-p", "bookstore-api", "--bin", "bookstore", "--profile", profile, "--target-dir"])
        .arg(target_dir)
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("running {}", cargo.display()))?;
    if !status.success() {
        bail!("building the bookstore binary failed ({status})");
    }
    let binary = profile_dir.join("bookstore");
    if !binary.is_file() {
        bail!("cargo built no {}", binary.display());
    }
    Ok(binary)
}

impl Server {
    /// `BOOKSTORE_URL` when set (a server someone started, with this pool's users), else a new server.
    pub async fn start_or_connect(options: &ServerOptions) -> anyhow::Result<Self> {
        if let Ok(url) = std::env::var("BOOKSTORE_URL") {
            let server = Self { base_url: url.trim_end_matches('/').to_owned(), child: None, _data_dir: None };
            server.wait_ready(Duration::from_secs(30)).await?;
            return Ok(server);
        }
        Self::start(options).await
    }

    /// Starts `bookstore serve` on a fresh embedded data dir and waits until it is ready.
    pub async fn start(options: &ServerOptions) -> anyhow::Result<Self> {
        let binary = locate_binary()?;
        let data_dir = tempfile::Builder::new().prefix("bookstore-bdd-").tempdir()?;
        // As root, PostgreSQL runs as `postgres`, which must be able to reach the data dir.
        std::fs::set_permissions(data_dir.path(), Permissions::from_mode(0o755))?;
        let http = format!("127.0.0.1:{}", free_port()?);
        if let Some(parent) = options.log_file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let log = File::create(&options.log_file)
            .with_context(|| format!("creating the server log {}", options.log_file.display()))?;
        let mut command = Command::new(&binary);
        command.arg("serve");
        for name in [
            "ECOM_DATABASE_URL",
            "INVENTORY_DATABASE_URL",
            "ANALYTICS_DATABASE_URL",
            "KAFKA_BOOTSTRAP_SERVERS",
            "REDIS_URL",
            "OIDC_ISSUER_URL",
            "OIDC_AUDIENCE",
            "OIDC_JWKS_URL",
            "BOOKSTORE_LOG_FORMAT",
        ] {
            command.env_remove(name);
        }
        if let Some(url) = &options.redis_url {
            command.env("REDIS_URL", url);
        }
        let child = command
            .env("BOOKSTORE_DATA_DIR", data_dir.path().join("data"))
            .env("BOOKSTORE_PG_PORT", free_port()?.to_string())
            .env("BOOKSTORE_HTTP_ADDR", &http)
            .env("BOOKSTORE_DEV_USERS", options.users.dev_users())
            .env("BOOKSTORE_RATE_LIMITS", &options.rate_limits)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut server = Self { base_url: format!("http://{http}"), child: Some(child), _data_dir: Some(data_dir) };
        if let Err(err) = server.wait_ready(Duration::from_secs(180)).await {
            server.stop();
            let log = std::fs::read_to_string(&options.log_file).unwrap_or_default();
            bail!("{err:#}\nserver log ({}):\n{log}", options.log_file.display());
        }
        Ok(server)
    }

    async fn wait_ready(&self, within: Duration) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        let url = format!("{}/readyz", self.base_url);
        loop {
            if let Ok(response) = client.get(&url).timeout(Duration::from_secs(5)).send().await
                && response.status() == 200
            {
                return Ok(());
            }
            if started.elapsed() > within {
                bail!("{url} did not answer 200 within {within:?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Whether the server this process started has exited.
    pub fn has_exited(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| !matches!(c.try_wait(), Ok(None)))
    }

    /// SIGTERM, then wait up to 60 s (SIGKILL after that). A server this process did not start is left alone.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        if let Ok(None) = child.try_wait() {
            let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
            let _ = kill(pid, Signal::SIGTERM);
            let started = Instant::now();
            while let Ok(None) = child.try_wait() {
                if started.elapsed() > Duration::from_secs(60) {
                    let _ = child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
