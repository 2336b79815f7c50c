//! The embedded default's private PostgreSQL cluster, run from the system's PostgreSQL binaries.
//!
//! `bookstore serve` with no database URL keeps a whole cluster in `$BOOKSTORE_DATA_DIR/postgres`: created on first
//! run (initdb), reused after, with `wal_level=logical` for the in-process CDC reader, listening on 127.0.0.1 and
//! on a socket inside the data dir. PostgreSQL refuses to run as root, so when we are root the server runs as the
//! unprivileged `postgres` user (or `nobody`). A lock file keeps a second `bookstore` off the same data dir.
//! See `docs/adr/002-embedded-postgresql.md`.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, User, geteuid};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use tokio::process::{Child, Command};

use crate::runtime::db::DatabaseUrls;

/// The databases the platform keeps in the cluster, one per service.
const DATABASES: [&str; 3] = ["ecom", "inventory", "analytics"];
/// The cluster's superuser, created by initdb.
const SUPERUSER: &str = "bookstore";

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL server binaries (initdb, postgres) were not found in {searched}: install PostgreSQL \
         (Debian/Ubuntu: apt-get install postgresql), set BOOKSTORE_PG_BIN_DIR to their folder, or set \
         ECOM_DATABASE_URL, INVENTORY_DATABASE_URL and ANALYTICS_DATABASE_URL to use existing databases"
    )]
    NotInstalled { searched: String },
    #[error(
        "data dir {dir} is in use by another bookstore process{pid}: stop it, or set BOOKSTORE_DATA_DIR to another folder"
    )]
    InUse { dir: String, pid: String },
    #[error("running as root, but there is no unprivileged user (postgres or nobody) to run PostgreSQL as")]
    NoUnprivilegedUser,
    #[error("{action} failed: {detail}")]
    Failed { action: String, detail: String },
}

fn failed(action: impl Into<String>, detail: impl ToString) -> EmbeddedError {
    EmbeddedError::Failed { action: action.into(), detail: detail.to_string() }
}

/// A running private cluster. Call [`EmbeddedPostgres::stop`] to shut it down cleanly.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    server: Child,
    port: u16,
    password: String,
    cluster_dir: PathBuf,
    log_path: PathBuf,
    /// Held for the life of the process: the OS releases it if we die, so a crash never leaves the dir locked.
    _lock: File,
}

/// Who runs the server: ourselves, or an unprivileged user when we are root.
#[derive(Clone, Debug)]
struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

impl EmbeddedPostgres {
    /// Starts (initialising on first use) the cluster in `data_dir`, listening on 127.0.0.1:`port`, and makes sure
    /// the platform's databases exist.
    pub async fn start(data_dir: &Path, port: u16, bin_dir: Option<&Path>) -> Result<Self, EmbeddedError> {
        let bin = find_binaries(bin_dir)?;
        fs::create_dir_all(data_dir).map_err(|e| failed(format!("creating data dir {}", data_dir.display()), e))?;
        // Absolute from here on: the PostgreSQL tools run with another working directory ("/").
        let data_dir =
            &fs::canonicalize(data_dir).map_err(|e| failed(format!("resolving {}", data_dir.display()), e))?;
        let lock = lock_data_dir(data_dir)?;
        let run_as = run_as()?;
        if let Some(user) = &run_as {
            check_reachable(data_dir, user)?;
            // The unprivileged server must be able to reach its own folder inside ours.
            fs::set_permissions(data_dir, fs::Permissions::from_mode(0o711))
                .map_err(|e| failed("opening the data dir to the PostgreSQL user", e))?;
        }

        let cluster_dir = data_dir.join("postgres");
        let password_path = data_dir.join("postgres.password");
        if !cluster_dir.join("PG_VERSION").exists() {
            init_cluster(&bin, &cluster_dir, &password_path, run_as.as_ref()).await?;
        }
        let password = fs::read_to_string(&password_path)
            .map_err(|e| failed(format!("reading {}", password_path.display()), e))?
            .trim()
            .to_owned();

        let log_path = data_dir.join("postgres.log");
        stop_orphan(&bin, &cluster_dir, run_as.as_ref()).await;
        let server = start_server(&bin, &cluster_dir, &log_path, port, run_as.as_ref())?;
        let mut cluster = Self { server, port, password, cluster_dir, log_path, _lock: lock };
        if let Err(err) = cluster.wait_ready().await {
            cluster.stop().await;
            return Err(err);
        }
        if let Err(err) = cluster.create_databases().await {
            cluster.stop().await;
            return Err(err);
        }
        tracing::info!(port, dir = %data_dir.display(), "embedded PostgreSQL is up");
        Ok(cluster)
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}", self.password, self.port)
    }

    pub fn urls(&self) -> DatabaseUrls {
        DatabaseUrls { ecom: self.url("ecom"), inventory: self.url("inventory"), analytics: self.url("analytics") }
    }

    /// Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit), escalating to SIGQUIT if it hangs.
    pub async fn stop(mut self) {
        let Some(pid) = self.server.id() else { return };
        let pid = Pid::from_raw(pid as i32);
        for (signal, wait) in [(Signal::SIGINT, 30), (Signal::SIGQUIT, 10)] {
            if kill(pid, signal).is_err() {
                break;
            }
            if let Ok(status) = tokio::time::timeout(Duration::from_secs(wait), self.server.wait()).await {
                tracing::info!(?status, "embedded PostgreSQL stopped");
                return;
            }
            tracing::warn!(?signal, "embedded PostgreSQL did not stop in time");
        }
        let _ = self.server.kill().await;
    }

    async fn wait_ready(&mut self) -> Result<(), EmbeddedError> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.server.try_wait() {
                return Err(failed(
                    format!("starting PostgreSQL (exit {status})"),
                    log_tail(&self.log_path).unwrap_or_else(|| "no log".to_owned()),
                ));
            }
            match Database::connect(self.url("postgres")).await {
                Ok(db) => {
                    let _ = db.close().await;
                    return Ok(());
                }
                Err(err) if tokio::time::Instant::now() > deadline => {
                    return Err(failed("waiting for PostgreSQL to accept connections", err));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    async fn create_databases(&self) -> Result<(), EmbeddedError> {
        let admin: DatabaseConnection =
            Database::connect(self.url("postgres")).await.map_err(|e| failed("connecting to PostgreSQL", e))?;
        for name in DATABASES {
            let exists = admin
                .query_one_raw(Statement::from_sql_and_values(
                    admin.get_database_backend(),
                    "SELECT 1 FROM pg_database WHERE datname = $1",
                    [name.into()],
                ))
                .await
                .map_err(|e| failed("listing databases", e))?
                .is_some();
            if !exists {
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .map_err(|e| failed(format!("creating database {name}"), e))?;
            }
        }
        let _ = admin.close().await;
        Ok(())
    }

    /// Where the cluster keeps its files (and its socket).
    pub fn cluster_dir(&self) -> &Path {
        &self.cluster_dir
    }
}

struct Binaries {
    initdb: PathBuf,
    postgres: PathBuf,
    pg_ctl: PathBuf,
}

fn find_binaries(bin_dir: Option<&Path>) -> Result<Binaries, EmbeddedError> {
    let candidates: Vec<PathBuf> = match bin_dir {
        Some(dir) => vec![dir.to_path_buf()],
        None => {
            // Debian keeps each major version apart; prefer the newest. Then anything on PATH.
            let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
                .collect();
            versions.sort_by_key(|v| std::cmp::Reverse(v.0));
            let path = std::env::var_os("PATH").unwrap_or_default();
            versions.into_iter().map(|(_, p)| p).chain(std::env::split_paths(&path)).collect()
        }
    };
    candidates
        .iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file() && dir.join("pg_ctl").is_file())
        .map(|dir| Binaries { initdb: dir.join("initdb"), postgres: dir.join("postgres"), pg_ctl: dir.join("pg_ctl") })
        .ok_or_else(|| EmbeddedError::NotInstalled {
            searched: match bin_dir {
                Some(dir) => dir.display().to_string(),
                None => "/usr/lib/postgresql/*/bin and PATH".to_owned(),
            },
        })
}

fn lock_data_dir(data_dir: &Path) -> Result<File, EmbeddedError> {
    let path = data_dir.join("bookstore.lock");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| failed(format!("opening {}", path.display()), e))?;
    if file.try_lock().is_err() {
        let mut pid = String::new();
        let _ = file.read_to_string(&mut pid);
        let pid = pid.trim();
        return Err(EmbeddedError::InUse {
            dir: data_dir.display().to_string(),
            pid: if pid.is_empty() { String::new() } else { format!(" (pid {pid})") },
        });
    }
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = writeln!(file, "{}", std::process::id());
    Ok(file)
}

fn run_as() -> Result<Option<RunAs>, EmbeddedError> {
    if !geteuid().is_root() {
        return Ok(None);
    }
    let user = ["postgres", "nobody"]
        .iter()
        .find_map(|name| User::from_name(name).ok().flatten())
        .ok_or(EmbeddedError::NoUnprivilegedUser)?;
    Ok(Some(RunAs { name: user.name, uid: user.uid.as_raw(), gid: user.gid.as_raw() }))
}

/// The unprivileged server must be able to pass through every folder above the data dir; say which one blocks
/// it instead of letting initdb fail with a bare "permission denied".
fn check_reachable(data_dir: &Path, user: &RunAs) -> Result<(), EmbeddedError> {
    use std::os::unix::fs::MetadataExt;
    let absolute = fs::canonicalize(data_dir).map_err(|e| failed(format!("resolving {}", data_dir.display()), e))?;
    for folder in absolute.ancestors().skip(1) {
        let meta = fs::metadata(folder).map_err(|e| failed(format!("inspecting {}", folder.display()), e))?;
        let mode = meta.mode();
        let can_enter = if meta.uid() == user.uid {
            mode & 0o100 != 0
        } else if meta.gid() == user.gid {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        if !can_enter {
            return Err(failed(
                "preparing the data dir",
                format!(
                    "PostgreSQL runs as the unprivileged user {} (we are root) and cannot enter {} (mode {:o}); \
                     set BOOKSTORE_DATA_DIR to a folder under open parents, or allow it with chmod o+x {}",
                    user.name,
                    folder.display(),
                    mode & 0o7777,
                    folder.display()
                ),
            ));
        }
    }
    Ok(())
}

fn command(program: &Path, run_as: Option<&RunAs>) -> Command {
    let mut cmd = Command::new(program);
    // The unprivileged user may not be able to enter our working directory.
    cmd.current_dir("/");
    if let Some(user) = run_as {
        cmd.uid(user.uid).gid(user.gid);
    }
    cmd
}

async fn init_cluster(
    bin: &Binaries,
    cluster_dir: &Path,
    password_path: &Path,
    run_as: Option<&RunAs>,
) -> Result<(), EmbeddedError> {
    // A folder without PG_VERSION is what a failed initdb leaves behind: start it over.
    if cluster_dir.exists() {
        fs::remove_dir_all(cluster_dir).map_err(|e| failed("removing a half-initialised cluster", e))?;
    }
    fs::create_dir_all(cluster_dir).map_err(|e| failed("creating the cluster dir", e))?;
    fs::set_permissions(cluster_dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| failed("protecting the cluster dir", e))?;

    let password = uuid::Uuid::new_v4().simple().to_string();
    write_private(password_path, &password)?;
    // initdb reads the password from a file the server's user can read; it is removed right after.
    let pwfile = cluster_dir.join("initdb.pw");
    write_private(&pwfile, &password)?;
    if let Some(user) = run_as {
        for path in [cluster_dir, pwfile.as_path()] {
            chown(path, Some(user.uid), Some(user.gid))
                .map_err(|e| failed(format!("handing {} to the PostgreSQL user", path.display()), e))?;
        }
    }
    let data_arg = cluster_dir.join("data");
    let output = command(&bin.initdb, run_as)
        .arg("--pgdata")
        .arg(&data_arg)
        .args(["--username", SUPERUSER, "--encoding", "UTF8", "--locale", "C.UTF-8"])
        .args(["--auth-local", "trust", "--auth-host", "scram-sha-256"])
        .arg(format!("--pwfile={}", pwfile.display()))
        .output()
        .await
        .map_err(|e| failed("running initdb", e))?;
    let _ = fs::remove_file(&pwfile);
    if !output.status.success() {
        return Err(failed("initdb", String::from_utf8_lossy(&output.stderr).trim()));
    }
    // PG_VERSION one level up marks the whole cluster dir as complete.
    fs::copy(data_arg.join("PG_VERSION"), cluster_dir.join("PG_VERSION"))
        .map_err(|e| failed("marking the cluster as initialised", e))?;
    Ok(())
}

fn write_private(path: &Path, contents: &str) -> Result<(), EmbeddedError> {
    fs::write(path, contents).map_err(|e| failed(format!("writing {}", path.display()), e))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
        .map_err(|e| failed(format!("protecting {}", path.display()), e))
}

/// A server left running by a `bookstore` that was killed: we hold the lock, so it is nobody's. Stop it.
async fn stop_orphan(bin: &Binaries, cluster_dir: &Path, run_as: Option<&RunAs>) {
    let data = cluster_dir.join("data");
    if !data.join("postmaster.pid").exists() {
        return;
    }
    let status = command(&bin.pg_ctl, run_as)
        .arg("stop")
        .arg("-D")
        .arg(&data)
        .args(["-m", "fast", "-w", "-t", "30"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
    if matches!(status, Ok(s) if s.success()) {
        tracing::warn!("stopped a PostgreSQL server left behind by an earlier bookstore process");
    }
}

fn start_server(
    bin: &Binaries,
    cluster_dir: &Path,
    log_path: &Path,
    port: u16,
    run_as: Option<&RunAs>,
) -> Result<Child, EmbeddedError> {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .map_err(|e| failed(format!("opening {}", log_path.display()), e))?;
    let log_err = log.try_clone().map_err(|e| failed("duplicating the log handle", e))?;
    command(&bin.postgres, run_as)
        .arg("-D")
        .arg(cluster_dir.join("data"))
        .arg("-p")
        .arg(port.to_string())
        .args(["-c", "listen_addresses=127.0.0.1"])
        .arg("-c")
        .arg(format!("unix_socket_directories={}", cluster_dir.display()))
        .args(["-c", "wal_level=logical", "-c", "max_wal_senders=10", "-c", "max_replication_slots=10"])
        .args(["-c", "max_connections=200"])
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .spawn()
        .map_err(|e| failed("starting postgres", e))
}

/// The last lines of the server log: what a failed start-up said (port taken, bad permissions…).
fn log_tail(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    Some(lines[lines.len().saturating_sub(3)..].join(" | "))
}
