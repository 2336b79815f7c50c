//! The `bookstore` command itself: settings errors, the embedded PostgreSQL lifecycle, and `migrate`.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sea_orm::{ConnectionTrait, Database};

use crate::helpers::{database_url, exec, server_url};

const BIN: &str = env!("CARGO_BIN_EXE_bookstore");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn bookstore(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("ECOM_DATABASE_URL").env_remove("INVENTORY_DATABASE_URL");
    cmd.env_remove("ANALYTICS_DATABASE_URL").env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs a command that is expected to exit on its own, killing it if it does not (a test must never hang).
fn run_with_deadline(mut cmd: Command, deadline: Duration) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > deadline {
            let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
            let output = child.wait_with_output().unwrap();
            panic!("command still running after {deadline:?}: {}", String::from_utf8_lossy(&output.stderr));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn stderr_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr).lines().map(str::to_owned).collect()
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    for (var, value) in [
        ("BOOKSTORE_PG_PORT", "abc"),
        ("BOOKSTORE_PG_PORT", "0"),
        ("BOOKSTORE_HTTP_ADDR", "localhost"),
        ("BOOKSTORE_LOG_FORMAT", "xml"),
        ("ECOM_DATABASE_URL", "mysql://x"),
        ("BOOKSTORE_CDC_BATCH_LINGER_MS", "5001"),
        ("BOOKSTORE_CDC_BATCH_LINGER_MS", "-1"),
    ] {
        let output = run_with_deadline(bookstore(&["serve"], &[(var, value)]), Duration::from_secs(60));
        assert!(!output.status.success(), "{var}={value} was accepted");
        let lines = stderr_lines(&output);
        assert_eq!(lines.len(), 1, "{var}={value}: {lines:?}");
        assert!(lines[0].contains(var), "{var}={value}: {lines:?}");
    }
}

#[test]
fn database_urls_must_come_together() {
    let output = run_with_deadline(
        bookstore(&["migrate"], &[("ECOM_DATABASE_URL", "postgres://localhost/ecom")]),
        Duration::from_secs(60),
    );
    assert!(!output.status.success());
    let lines = stderr_lines(&output);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("missing: INVENTORY_DATABASE_URL, ANALYTICS_DATABASE_URL"), "{lines:?}");
}

#[test]
fn a_missing_postgresql_installation_says_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let output = run_with_deadline(
        bookstore(
            &["serve"],
            &[("BOOKSTORE_DATA_DIR", dir.path().to_str().unwrap()), ("BOOKSTORE_PG_BIN_DIR", "/nonexistent/bin")],
        ),
        Duration::from_secs(60),
    );
    assert!(!output.status.success());
    let lines = stderr_lines(&output);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("apt-get install postgresql"), "{lines:?}");
}

/// As root, the server runs unprivileged; a data dir it cannot reach is refused with a line that names the folder.
#[test]
fn an_unreachable_data_dir_names_the_blocking_folder() {
    if !nix::unistd::geteuid().is_root() {
        return; // Only root hands the server to another user.
    }
    use std::os::unix::fs::PermissionsExt;
    let closed = tempfile::tempdir().unwrap();
    std::fs::set_permissions(closed.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let data_dir = closed.path().join("data");
    let env = [("BOOKSTORE_DATA_DIR", data_dir.to_str().unwrap()), ("BOOKSTORE_PG_PORT", &free_port().to_string())];
    let output = run_with_deadline(bookstore(&["serve"], &env), Duration::from_secs(60));
    assert!(!output.status.success());
    let lines = stderr_lines(&output);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(&format!("cannot enter {}", closed.path().display())), "{lines:?}");
}

/// A `bookstore serve` child process that is stopped with SIGTERM (as Kubernetes or Ctrl-C would) when dropped.
struct Server {
    child: std::process::Child,
    http: String,
}

impl Server {
    /// Starts in the data dir's parent with a relative BOOKSTORE_DATA_DIR, as `./.bookstore` is used by default.
    fn start(data_dir: &Path, pg_port: u16) -> Self {
        let http = format!("127.0.0.1:{}", free_port());
        let relative = data_dir.file_name().unwrap().to_str().unwrap();
        let mut command = bookstore(
            &["serve"],
            &[
                ("BOOKSTORE_DATA_DIR", relative),
                ("BOOKSTORE_PG_PORT", &pg_port.to_string()),
                ("BOOKSTORE_HTTP_ADDR", &http),
            ],
        );
        let child = command
            .current_dir(data_dir.parent().unwrap())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        Self { child, http }
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(120) {
            assert!(self.child.try_wait().unwrap().is_none(), "bookstore serve exited during start-up");
            if let Ok(response) = client.get(format!("http://{}/readyz", self.http)).send().await
                && response.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("bookstore serve did not become ready");
    }

    async fn get_json(&self, path: &str) -> serde_json::Value {
        reqwest::get(format!("http://{}{path}", self.http)).await.unwrap().json().await.unwrap()
    }

    fn stop(mut self) -> std::process::ExitStatus {
        kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM).unwrap();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "bookstore serve ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
            let _ = self.child.wait();
        }
    }
}

/// The embedded default end to end: first start initialises a private cluster and seeds it; a second process on
/// the same data dir is refused; SIGTERM stops everything, PostgreSQL included; a restart keeps the data.
#[tokio::test(flavor = "multi_thread")]
async fn embedded_postgresql_lifecycle() {
    let data_dir = tempfile::tempdir().unwrap();
    let pg_port = free_port();
    let mut server = Server::start(data_dir.path(), pg_port);
    server.wait_ready().await;

    let page = server.get_json("/ecom/books?page=0&size=5").await;
    assert_eq!(page["totalElements"], 10);
    assert_eq!(page["content"].as_array().unwrap().len(), 5);
    let found = server.get_json("/ecom/books/search?q=kleppmann").await;
    assert_eq!(found["content"][0]["title"], "Designing Data-Intensive Applications");

    // The cluster is a real PostgreSQL with logical decoding on, reachable with the generated password.
    let password = std::fs::read_to_string(data_dir.path().join("postgres.password")).unwrap();
    let url = format!("postgres://bookstore:{}@127.0.0.1:{pg_port}/ecom", password.trim());
    let db = Database::connect(&url).await.unwrap();
    let wal_level =
        db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "SHOW wal_level")).await;
    assert_eq!(wal_level.unwrap().unwrap().try_get::<String>("", "wal_level").unwrap(), "logical");
    exec(&db, "UPDATE books SET title = 'Clean Code (2nd printing)' WHERE id = '00000000-0000-0000-0000-000000000002'")
        .await;
    db.close().await.unwrap();

    let second = run_with_deadline(
        bookstore(
            &["serve"],
            &[
                ("BOOKSTORE_DATA_DIR", data_dir.path().to_str().unwrap()),
                ("BOOKSTORE_PG_PORT", &free_port().to_string()),
                ("BOOKSTORE_HTTP_ADDR", &format!("127.0.0.1:{}", free_port())),
            ],
        ),
        Duration::from_secs(60),
    );
    assert!(!second.status.success());
    let lines = stderr_lines(&second);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("in use by another bookstore process"), "{lines:?}");

    shop_and_see_it_in_analytics(&server, &url).await;

    let status = server.stop();
    assert!(status.success(), "{status}");
    assert!(
        !data_dir.path().join("postgres/data/postmaster.pid").exists(),
        "PostgreSQL must stop with bookstore serve"
    );

    let mut again = Server::start(data_dir.path(), pg_port);
    again.wait_ready().await;
    let book = again.get_json("/ecom/books/00000000-0000-0000-0000-000000000002").await;
    assert_eq!(book["title"], "Clean Code (2nd printing)", "data survives a restart");
    assert_eq!(again.get_json("/ecom/books?size=1").await["totalElements"], 10, "the seed runs only once");
    assert!(again.stop().success());
}

/// The embedded platform as a shopper and an admin use it: tokens from the built-in issuer, an order, and the
/// order arriving in the analytics views through the in-process CDC pipeline; then `bookstore reconcile` finds
/// no drift.
async fn shop_and_see_it_in_analytics(server: &Server, ecom_url: &str) {
    let client = reqwest::Client::new();
    let base = format!("http://{}", server.http);
    let token = |user: &'static str, password: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let form =
                [("grant_type", "password"), ("client_id", "ui-client"), ("username", user), ("password", password)];
            let tokens: serde_json::Value =
                client.post(format!("{base}/auth/token")).form(&form).send().await.unwrap().json().await.unwrap();
            tokens["access_token"].as_str().expect("the default dev users sign in").to_owned()
        }
    };
    let shopper = token("user1", "user1pass").await;
    let admin = token("admin1", "admin1pass").await;
    let csrf: serde_json::Value =
        client.get(format!("{base}/csrf/token")).bearer_auth(&shopper).send().await.unwrap().json().await.unwrap();
    let csrf = csrf["token"].as_str().unwrap().to_owned();
    let add = client
        .post(format!("{base}/ecom/cart"))
        .bearer_auth(&shopper)
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"bookId": "00000000-0000-0000-0000-000000000003", "quantity": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(add.status(), 201);
    // CSRF tokens are single use: the checkout spends the one the add handed out.
    let next = add.headers()["x-csrf-token"].to_str().unwrap().to_owned();
    let order = client
        .post(format!("{base}/ecom/checkout"))
        .bearer_auth(&shopper)
        .header("x-csrf-token", &next)
        .send()
        .await
        .unwrap();
    assert_eq!(order.status(), 201);

    let started = Instant::now();
    loop {
        let view: serde_json::Value = client
            .get(format!("{base}/analytics/views/vw_product_sales_volume"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let sold = view["rows"].as_array().and_then(|rows| {
            rows.iter().find(|r| r["title"] == "Designing Data-Intensive Applications").map(|r| r["units_sold"].clone())
        });
        if sold == Some(serde_json::json!(2)) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the order never reached analytics: {view}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let base_url = ecom_url.trim_end_matches("/ecom");
    let env = [
        ("ECOM_DATABASE_URL", format!("{base_url}/ecom")),
        ("INVENTORY_DATABASE_URL", format!("{base_url}/inventory")),
        ("ANALYTICS_DATABASE_URL", format!("{base_url}/analytics")),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reconcile = run_with_deadline(bookstore(&["reconcile"], &env), Duration::from_secs(60));
    assert!(reconcile.status.success(), "{}", String::from_utf8_lossy(&reconcile.stderr));
    assert!(String::from_utf8_lossy(&reconcile.stdout).contains("fact_orders"));
}

/// `bookstore migrate --service X` against external databases migrates exactly that database.
#[tokio::test(flavor = "multi_thread")]
async fn migrate_one_service_against_external_databases() {
    let admin = Database::connect(server_url()).await.unwrap();
    let prefix = format!("m_{}", uuid::Uuid::new_v4().simple());
    for service in ["ecom", "inventory", "analytics"] {
        exec(&admin, &format!("CREATE DATABASE {prefix}_{service}")).await;
    }
    let urls: Vec<String> =
        ["ecom", "inventory", "analytics"].iter().map(|s| database_url(&format!("{prefix}_{s}"))).collect();
    let env = [
        ("ECOM_DATABASE_URL", urls[0].as_str()),
        ("INVENTORY_DATABASE_URL", &urls[1]),
        ("ANALYTICS_DATABASE_URL", &urls[2]),
    ];
    let output = run_with_deadline(bookstore(&["migrate", "--service", "inventory"], &env), Duration::from_secs(120));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let table_count = |url: String| async move {
        let db = Database::connect(&url).await.unwrap();
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('inventory', 'books')",
            ))
            .await
            .unwrap()
            .unwrap();
        let n: i64 = row.try_get("", "n").unwrap();
        db.close().await.unwrap();
        n
    };
    assert_eq!(table_count(urls[1].clone()).await, 1, "inventory migrated");
    assert_eq!(table_count(urls[0].clone()).await, 0, "ecom untouched");
    let again = run_with_deadline(bookstore(&["migrate", "--service", "inventory"], &env), Duration::from_secs(120));
    assert!(again.status.success(), "migrations are idempotent");
    for service in ["ecom", "inventory", "analytics"] {
        exec(&admin, &format!("DROP DATABASE {prefix}_{service} WITH (FORCE)")).await;
    }
}

/// The dev issuer's published users never reach other hosts by accident: `serve` on a non-loopback address with
/// them, or beside external databases, stops at once with one line naming the setting that allows it; `issuer`
/// follows the same rule. Loopback with users of one's own (the local cluster's identity service) starts as before,
/// and so does an explicit `BOOKSTORE_ALLOW_DEV_ISSUER=true`.
#[tokio::test(flavor = "multi_thread")]
async fn the_dev_issuer_refuses_to_expose_its_published_users() {
    let data_dir = tempfile::tempdir().unwrap();
    let data = data_dir.path().to_str().unwrap();
    let everywhere = format!("0.0.0.0:{}", free_port());
    let refusals = [
        ("serve", vec![("BOOKSTORE_HTTP_ADDR", everywhere.as_str()), ("BOOKSTORE_DATA_DIR", data)]),
        (
            "serve",
            vec![
                ("BOOKSTORE_DATA_DIR", data),
                ("BOOKSTORE_DEV_USERS", "ops:ops-own-secret:customer+admin"),
                ("ECOM_DATABASE_URL", "postgres://127.0.0.1:1/ecom"),
                ("INVENTORY_DATABASE_URL", "postgres://127.0.0.1:1/inventory"),
                ("ANALYTICS_DATABASE_URL", "postgres://127.0.0.1:1/analytics"),
            ],
        ),
        (
            "issuer",
            vec![
                ("BOOKSTORE_HTTP_ADDR", everywhere.as_str()),
                ("BOOKSTORE_DATA_DIR", data),
                ("BOOKSTORE_PUBLIC_URL", "http://shop.example"),
                ("BOOKSTORE_DEV_USERS", "admin1:admin1pass:customer+admin,ops:ops-own-secret:customer"),
            ],
        ),
    ];
    for (command, env) in &refusals {
        let output = run_with_deadline(bookstore(&[command], env), Duration::from_secs(30));
        assert!(!output.status.success(), "{command} {env:?} started");
        let lines = stderr_lines(&output);
        assert_eq!(lines.len(), 1, "{command} {env:?}: {lines:?}");
        assert!(lines[0].contains("BOOKSTORE_ALLOW_DEV_ISSUER=true"), "{command} {env:?}: {lines:?}");
    }
    assert!(
        stderr_lines(&run_with_deadline(bookstore(&[refusals[0].0], &refusals[0].1), Duration::from_secs(30)))[0]
            .contains("user1, admin1")
    );

    // Starts: the issuer on loopback with the published users (the local cluster), on every address with users of
    // the operator's own, and on every address with the published users when the operator says so.
    for (addr, users, allow) in [
        ("127.0.0.1", crate_default_users(), "false"),
        ("0.0.0.0", "ops:ops-own-secret:customer+admin", "false"),
        ("0.0.0.0", crate_default_users(), "true"),
    ] {
        let port = free_port();
        let mut child = bookstore(
            &["issuer"],
            &[
                ("BOOKSTORE_HTTP_ADDR", &format!("{addr}:{port}")),
                ("BOOKSTORE_DATA_DIR", data),
                ("BOOKSTORE_PUBLIC_URL", &format!("http://127.0.0.1:{port}")),
                ("BOOKSTORE_DEV_USERS", users),
                ("BOOKSTORE_ALLOW_DEV_ISSUER", allow),
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let mut first = users.split(',').next().unwrap().split(':');
        let (user, password) = (first.next().unwrap(), first.next().unwrap());
        let started = Instant::now();
        let tokens = loop {
            if let Ok(response) = password_token(port, user, password).await {
                break response;
            }
            assert!(child.try_wait().unwrap().is_none(), "{addr} {users} allow={allow}: the issuer exited");
            assert!(started.elapsed() < Duration::from_secs(30), "{addr} {users}: the issuer never answered");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(tokens.status(), 200, "{addr} {users} allow={allow}");
        let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
        let _ = child.wait();
    }
}

/// The users the README publishes.
fn crate_default_users() -> &'static str {
    "user1:user1pass:customer,admin1:admin1pass:customer+admin"
}

async fn password_token(port: u16, user: &str, password: &str) -> reqwest::Result<reqwest::Response> {
    let form = [("grant_type", "password"), ("client_id", "ui-client"), ("username", user), ("password", password)];
    reqwest::Client::new().post(format!("http://127.0.0.1:{port}/auth/token")).form(&form).send().await
}
