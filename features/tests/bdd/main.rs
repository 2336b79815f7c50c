//! The BDD suite: starts one real `bookstore serve` (or uses `BOOKSTORE_URL`), runs every `.feature` under
//! `tests/features/` against it, writes JUnit XML to `reports/bdd-junit.xml`, and ends with the plain line
//! `N passed, M failed` (scenarios) for CI.
//!
//! Arguments are cucumber's (`--tags @smoke`, `--name REGEX`, `-v`, …); libtest flags that `cargo test` may pass
//! through (`--nocapture`, `--test-threads`, `-q`) are ignored.

mod steps;
mod world;

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use bookstore_features::client::Api;
use bookstore_features::server::{Server, ServerOptions, UserPool};
use cucumber::cli::Parser as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use cucumber::{World as _, WriterExt as _, cli, event, writer};
use futures::FutureExt as _;

use crate::world::ShopWorld;

/// Scenarios finished, as the `after` hook saw them (a skipped step counts as a failure).
static PASSED: AtomicUsize = AtomicUsize::new(0);
static FAILED: AtomicUsize = AtomicUsize::new(0);

/// Drops the flags libtest understands and cucumber does not.
fn cucumber_args() -> Vec<String> {
    let mut args = Vec::new();
    let mut skip_value = false;
    for arg in std::env::args() {
        if skip_value {
            skip_value = false;
            continue;
        }
        match arg.as_str() {
            "--nocapture" | "--show-output" | "-q" | "--quiet" | "--ignored" | "--include-ignored" | "--exact" => {}
            "--test-threads" => skip_value = true,
            _ if arg.starts_with("--test-threads=") => {}
            _ => args.push(arg),
        }
    }
    args
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

#[tokio::main]
async fn main() -> ExitCode {
    let opts = cli::Opts::<_, _, _, cli::Empty>::parse_from(cucumber_args());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reports = root.join("reports");
    if let Err(err) = std::fs::create_dir_all(&reports) {
        eprintln!("bdd: cannot create {}: {err}", reports.display());
        return ExitCode::FAILURE;
    }
    let pool = UserPool::default();
    let options = ServerOptions {
        users: pool.clone(),
        rate_limits: "off".to_owned(),
        redis_url: None,
        log_file: reports.join("server.log"),
    };
    let mut server = match Server::start_or_connect(&options).await {
        Ok(server) => server,
        Err(err) => {
            eprintln!("bdd: cannot start the bookstore: {err:#}");
            say("0 passed, 1 failed");
            return ExitCode::FAILURE;
        }
    };
    let api = match Api::new(&server.base_url) {
        Ok(api) => api,
        Err(err) => {
            eprintln!("bdd: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    world::install(api, pool);
    steps::limits::configure(options);

    let junit_path = reports.join("bdd-junit.xml");
    let junit = match std::fs::File::create(&junit_path) {
        Ok(file) => file,
        Err(err) => {
            eprintln!("bdd: cannot create {}: {err}", junit_path.display());
            return ExitCode::FAILURE;
        }
    };
    let writer = ShopWorld::cucumber()
        // 64 at once (cucumber's default) starves the embedded server's connection pools on a 2-core machine;
        // `--concurrency N` overrides this.
        .max_concurrent_scenarios(Some(12))
        .with_writer(
            writer::Basic::raw(std::io::stdout(), writer::Coloring::Auto, 0)
                .summarized()
                .tee::<ShopWorld, _>(writer::JUnit::for_tee(junit, 0))
                .normalized(),
        )
        .fail_on_skipped()
        .before(|feature, rule, scenario, world| {
            let tags = feature.tags.iter().chain(rule.iter().flat_map(|r| r.tags.iter())).chain(scenario.tags.iter());
            let serial = tags.into_iter().any(|t| t == "serial");
            world.take_turn(serial).boxed_local()
        })
        .after(|_, _, _, finished, _| {
            let counter = if matches!(finished, event::ScenarioFinished::StepPassed) { &PASSED } else { &FAILED };
            counter.fetch_add(1, Ordering::SeqCst);
            async {}.boxed_local()
        })
        .with_cli(opts)
        .run(root.join("tests/features"))
        .await;

    let server_died = server.has_exited();
    server.stop();
    steps::limits::stop_servers();

    use cucumber::writer::Stats as _;
    let passed = PASSED.load(Ordering::SeqCst);
    let failed = FAILED.load(Ordering::SeqCst) + writer.parsing_errors() + writer.hook_errors();
    if server_died {
        eprintln!("bdd: the bookstore server exited during the run; see {}", reports.join("server.log").display());
    }
    say(&format!("{passed} passed, {failed} failed"));
    if writer.execution_has_failed() || failed > 0 || server_died || passed == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
