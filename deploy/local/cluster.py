"""The distributed form of Bookstore on this machine, as processes: the topology of `deploy/` with its settings.

    scripts/cluster up                 start whatever is not running (idempotent); prints the gateway's URL
    scripts/cluster down [--purge]     stop everything (--purge also deletes the cluster's data)
    scripts/cluster status [--json]    every component: pid, port, health
    scripts/cluster logs NAME [-f]     one component's log
    scripts/cluster kill NAME          SIGKILL one component (the supervisor starts it again, as a kubelet would)
    scripts/cluster restart NAME       stop one component gracefully and start it again
    scripts/cluster stop|start NAME    hold one component down, and let it run again
    scripts/cluster smoke              a shopper's journey through the gateway, checked end to end
    scripts/cluster reconcile          `bookstore reconcile` against the cluster's databases
    scripts/cluster url DATABASE       the URL the API uses for ecom, inventory or analytics
    scripts/cluster chaos              checkout load through the gateway while components fail, one at a time

No Kubernetes runs where the project is built and tested, but every engine of the cluster does: three PostgreSQL
servers from the system's binaries (ecom and inventory with logical WAL), Redis, a Kafka-protocol broker (tansu,
durable on disk), real Debezium (its embedded engine, `debezium_runner.py`) for each source database, the
replicas of `bookstore serve` and of `bookstore materialize` (one Kafka consumer group), `bookstore issuer` as the
identity service, HAProxy as the gateway (round robin, no affinity) and Superset. Settings come from `deploy/`
through `settings.py`; only addresses differ. Everything lives under one folder (`BOOKSTORE_CLUSTER_DIR`, default
`.cluster/` in the repository): data, pid files, and one log per component in `logs/`. A supervisor process
restarts a component whose process exited, as Kubernetes restarts a container.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import settings
from settings import BASE, REPO, Ports

STATE = Path(os.environ.get("BOOKSTORE_CLUSTER_DIR", REPO / ".cluster")).resolve()
CACHE = Path(os.environ.get("BOOKSTORE_CACHE", "/var/cache/bookstore"))
PORTS = Ports(settings.env_int("BOOKSTORE_CLUSTER_PORT_BASE", 19000))
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", CACHE / "target"))
TANSU = Path(os.environ.get("BOOKSTORE_TANSU_BIN", CACHE / "tansu" / "bin" / "tansu"))
SUPERSET_VENV = CACHE / "superset-venv"
PG_BIN = Path(os.environ.get("BOOKSTORE_PG_BIN_DIR", "") or sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1])
DATABASES = ("ecom", "inventory", "analytics")
# PostgreSQL refuses to run as root; its servers run as this system user.
PG_USER = "postgres"


def log(message: str) -> None:
    print(f"cluster: {message}", file=sys.stderr, flush=True)


# --- processes ---------------------------------------------------------------------------------------------------


def pid_file(name: str) -> Path:
    return STATE / "run" / f"{name}.pid"


def log_file(name: str) -> Path:
    return STATE / "logs" / f"{name}.log"


def alive(pid: int) -> bool:
    """The process exists and has not exited (a zombie has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def read_pid(name: str) -> int | None:
    try:
        pid = int(pid_file(name).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def spawn(name: str, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
          user: str | None = None) -> int:
    """Starts a detached process (its own session, so `down` and chaos signal it alone) logging to its file."""
    log_file(name).parent.mkdir(parents=True, exist_ok=True)
    pid_file(name).parent.mkdir(parents=True, exist_ok=True)
    out = open(log_file(name), "ab")
    out.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} start: {' '.join(argv)}\n".encode())
    out.flush()
    full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **(env or {})}
    kwargs = {}
    if user:
        entry = pwd.getpwnam(user)
        kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        full_env["HOME"] = entry.pw_dir
    process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env=full_env, cwd=cwd, start_new_session=True, **kwargs)
    pid_file(name).write_text(f"{process.pid}\n")
    return process.pid


def stop(name: str, sig: int = signal.SIGTERM, grace: float = 20.0) -> None:
    """Signals the component's process and waits for that process (not a successor the supervisor may already
    have started) to exit; SIGKILL after `grace` seconds."""
    pid = read_pid(name)
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.1)
    if alive(pid):
        log(f"{name} did not stop within {grace:.0f} s; killing it")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        while alive(pid):
            time.sleep(0.1)


def wait_for(what: str, check: Callable[[], bool], timeout: float, name: str | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if name and read_pid(name) is None:
            raise SystemExit(f"{what}: the process exited; see {log_file(name)}")
        time.sleep(0.25)
    raise SystemExit(f"{what}: not ready after {timeout:.0f} s" + (f"; see {log_file(name)}" if name else ""))


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def http_ok(port: int, path: str) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False


def run(argv: list[str], env: dict[str, str] | None = None, check: bool = True, quiet: bool = False,
        cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, env={**os.environ, **(env or {})}, capture_output=True, text=True, cwd=cwd)
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])}… failed ({result.returncode}): {(result.stderr or result.stdout).strip()[-2000:]}")
    if not quiet and result.stdout.strip():
        print(result.stdout.strip(), file=sys.stderr)
    return result


# --- components --------------------------------------------------------------------------------------------------


@dataclass
class Component:
    name: str
    port: int
    start: Callable[[], None]
    healthy: Callable[[], bool]
    # How long start-up may take.
    timeout: float = 60.0
    # Stopped with this signal (PostgreSQL: SIGINT is its "fast" shutdown).
    stop_signal: int = signal.SIGTERM
    url: str | None = None


def secrets_() -> dict[str, str]:
    return settings.load_secrets(STATE)


# PostgreSQL ------------------------------------------------------------------------------------------------------


def pg_dir(database: str) -> Path:
    return STATE / "postgres" / database


def pg_url(user: str, password: str, database: str) -> str:
    from urllib.parse import quote
    return f"postgres://{user}:{quote(password, safe='')}@127.0.0.1:{PORTS.postgres(database)}/{database}"


def start_postgres(database: str) -> None:
    server = settings.postgres(database, secrets_())
    data = pg_dir(database) / "data"
    socket_dir = pg_dir(database)
    entry = pwd.getpwnam(PG_USER)
    fresh = not (data / "PG_VERSION").exists()
    if fresh:
        data.mkdir(parents=True, exist_ok=True)
        for path in (STATE / "postgres", pg_dir(database), data):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        data.chmod(0o700)
        pwfile = pg_dir(database) / "superuser.password"
        pwfile.write_text(server.env["POSTGRES_PASSWORD"] + "\n")
        os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        pwfile.chmod(0o600)
        # As the official image: a superuser with a password for TCP, trusted on the server's own socket.
        subprocess.run([str(PG_BIN / "initdb"), "-D", str(data), "-U", server.env["POSTGRES_USER"], "--pwfile",
                        str(pwfile), "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                        "--locale=C.UTF-8"], check=True, capture_output=True, user=entry.pw_uid,
                       group=entry.pw_gid, extra_groups=[])
        pwfile.unlink()
    argv = [str(PG_BIN / "postgres"), "-D", str(data), "-p", str(PORTS.postgres(database)),
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={socket_dir}",
            *server.args]
    spawn(f"postgres-{database}", argv, user=PG_USER)
    wait_for(f"postgres-{database}", lambda: pg_ready(database), 60, f"postgres-{database}")
    if fresh:
        init_postgres(database, server)


def pg_ready(database: str) -> bool:
    return subprocess.run([str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(PORTS.postgres(database))],
                          capture_output=True).returncode == 0


def init_postgres(database: str, server: settings.Postgres) -> None:
    """What the official image does on a new data directory: create POSTGRES_DB, then run the init scripts (the
    deploy's `postgres-init-roles.sh`, the very file its ConfigMap mounts) against it."""
    env = {"PGHOST": str(pg_dir(database)), "PGPORT": str(PORTS.postgres(database)), **server.env}
    run([str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-U", server.env["POSTGRES_USER"], "-d", "postgres",
         "-c", f'CREATE DATABASE "{server.env["POSTGRES_DB"]}"'], env=env)
    run(["bash", str(BASE / "data" / "postgres-init-roles.sh")], env={**env, "PATH": f"{PG_BIN}:{os.environ['PATH']}"},
        quiet=True)
    log(f"postgres-{database}: created with the deploy's roles")


def psql(database: str, sql: str, user: str = "postgres", db: str | None = None) -> str:
    """Runs SQL as the server's superuser over its socket; returns the unaligned output."""
    result = run([str(PG_BIN / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", str(pg_dir(database)),
                  "-p", str(PORTS.postgres(database)), "-U", user, "-d", db or database, "-c", sql], quiet=True)
    return result.stdout.strip()


# Redis, Kafka ----------------------------------------------------------------------------------------------------


def start_redis() -> None:
    password = secrets_()["REDIS_PASSWORD"]
    (STATE / "redis").mkdir(parents=True, exist_ok=True)
    argv = ["redis-server", *settings.redis_args(password), "--port", str(PORTS.redis), "--bind", "127.0.0.1",
            "--dir", str(STATE / "redis"), "--daemonize", "no"]
    spawn("redis", argv)
    wait_for("redis", redis_ready, 20, "redis")


def redis_ready() -> bool:
    result = subprocess.run(["redis-cli", "-p", str(PORTS.redis), "ping"], capture_output=True, text=True,
                            env={**os.environ, "REDISCLI_AUTH": secrets_()["REDIS_PASSWORD"]})
    return result.stdout.strip() == "PONG"


def kafka_url() -> str:
    return f"tcp://127.0.0.1:{PORTS.kafka}"


def start_kafka() -> None:
    if not TANSU.exists():
        raise SystemExit(f"the tansu broker is missing at {TANSU} (BOOKSTORE_TANSU_BIN): .ci/run shows how to build it")
    (STATE / "kafka").mkdir(parents=True, exist_ok=True)
    # Durable: a restarted broker keeps its topics, records and group offsets, as a Kafka broker does.
    # (tansu opens an sqlite:// database relative to its working directory.)
    argv = [str(TANSU), "broker", "--listener-url", kafka_url(), "--advertised-listener-url", kafka_url(),
            "--storage-engine", "sqlite://tansu.db"]
    spawn("kafka", argv, cwd=STATE / "kafka")
    wait_for("kafka", lambda: port_open(PORTS.kafka), 30, "kafka")
    index_headers()
    create_topics()


def index_headers() -> None:
    """tansu's SQLite schema has no index on record headers, and a fetch looks up each record's headers: with
    Debezium's headers on every record, each fetch scanned the whole header table, and a broker serving the local
    cluster's load sat at 100 % of a core (consumer-group heartbeats answered late, catch-up after a fault took
    minutes). The index, created beside the broker's own schema, brings it to a few percent."""
    import sqlite3

    database = STATE / "kafka" / "tansu.db"
    wait_for("kafka: its storage schema", lambda: database.exists(), 10, "kafka")
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as connection:
        wait_for("kafka: its header table", lambda: connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'header'").fetchone() is not None, 10, "kafka")
        connection.execute("CREATE INDEX IF NOT EXISTS header_by_record ON header (topition, offset_id)")
        connection.commit()


def create_topics() -> None:
    """The topic Job of deploy/ (`kafka-topics.txt`): every topic with its partitions; existing ones are kept."""
    listed = run([str(TANSU), "topic", "list", "--broker", kafka_url()], quiet=True).stdout
    existing = {topic["name"] for topic in json.loads(listed or "[]")}
    for topic, partitions, _configs in settings.kafka_topics():
        if topic in existing:
            continue
        run([str(TANSU), "topic", "create", "--broker", kafka_url(), topic, "--partitions", str(partitions)],
            quiet=True)


# Debezium --------------------------------------------------------------------------------------------------------


def start_debezium(source: str) -> None:
    config = settings.debezium(source, secrets_(), PORTS, STATE)
    (STATE / "debezium" / source).mkdir(parents=True, exist_ok=True)
    argv = [str(cluster_python()), str(Path(__file__).with_name("debezium_runner.py")), str(config.properties)]
    for key, value in config.overrides.items():
        argv += ["--set", f"{key}={value}"]
    env = {**config.env, "JAVA_HOME": os.environ.get("JAVA_HOME", "")} if os.environ.get("JAVA_HOME") else config.env
    spawn(f"debezium-{source}", argv, env=env, cwd=STATE / "debezium" / source)
    wait_for(f"debezium-{source}", lambda: debezium_streaming(source), 120, f"debezium-{source}")


def debezium_streaming(source: str) -> bool:
    """Debezium's slot is active once the connector streams (after its snapshot)."""
    slot = settings.debezium(source, secrets_(), PORTS, STATE)
    name = read_slot_name(slot.properties)
    try:
        return psql(source, f"SELECT active FROM pg_replication_slots WHERE slot_name = '{name}'") == "t"
    except SystemExit:
        return False


def read_slot_name(properties: Path) -> str:
    for line in properties.read_text().splitlines():
        if line.startswith("debezium.source.slot.name="):
            return line.split("=", 1)[1].strip()
    raise SystemExit(f"{properties}: no slot name")


def cluster_python() -> Path:
    return Path(sys.executable)


# bookstore -------------------------------------------------------------------------------------------------------


def bookstore_bin() -> Path:
    return Path(os.environ.get("BOOKSTORE_BIN", TARGET / "release" / "bookstore"))


def api_env(replica: int) -> dict[str, str]:
    env = settings.bookstore_env("bookstore-api.yaml", "Deployment", "bookstore-api", "api", secrets_(), PORTS)
    # Local only: each replica listens on its own loopback port (in a pod, every replica has 0.0.0.0:8080); the
    # SPA is served by the replicas (bookstore-web's nginx in the cluster).
    env["BOOKSTORE_HTTP_ADDR"] = f"127.0.0.1:{PORTS.api(replica)}"
    env["BOOKSTORE_WEB_DIR"] = str(REPO / "web" / "dist")
    return env


def materializer_env(replica: int) -> dict[str, str]:
    env = settings.bookstore_env("bookstore-materializer.yaml", "Deployment", "bookstore-materializer", "materializer",
                                 secrets_(), PORTS)
    env["BOOKSTORE_HTTP_ADDR"] = f"127.0.0.1:{PORTS.materializer(replica)}"
    return env


def migrate() -> None:
    """The API's init containers, one database each, as the Deployment runs them."""
    for name in settings.migrate_containers():
        env = settings.bookstore_env("bookstore-api.yaml", "Deployment", "bookstore-api", name, secrets_(), PORTS,
                                     init=True)
        args = settings.bookstore_args("bookstore-api.yaml", "Deployment", "bookstore-api", name, init=True)
        run([str(bookstore_bin()), *args], env=env, quiet=True)
    log("migrations applied")


def start_api(replica: int) -> None:
    args = settings.bookstore_args("bookstore-api.yaml", "Deployment", "bookstore-api", "api")
    spawn(f"api-{replica}", [str(bookstore_bin()), *args], env=api_env(replica))
    wait_for(f"api-{replica}", lambda: http_ok(PORTS.api(replica), "/readyz"), 60, f"api-{replica}")


def start_materializer(replica: int) -> None:
    args = settings.bookstore_args("bookstore-materializer.yaml", "Deployment", "bookstore-materializer",
                                   "materializer")
    spawn(f"materializer-{replica}", [str(bookstore_bin()), *args], env=materializer_env(replica))
    wait_for(f"materializer-{replica}", lambda: http_ok(PORTS.materializer(replica), "/readyz"), 60,
             f"materializer-{replica}")


def reconcile(capture: bool = True) -> subprocess.CompletedProcess:
    """`bookstore reconcile` with the API's database settings (it reads all three databases)."""
    return subprocess.run([str(bookstore_bin()), "reconcile"], env={**os.environ, **api_env(1)},
                          capture_output=capture, text=True)


def issuer_users() -> str:
    """The dev issuer's users: the README's two, plus shoppers for load (`load1`…`load100`, password = name)."""
    users = ["user1:user1pass:customer", "admin1:admin1pass:customer+admin"]
    users += [f"load{n}:load{n}:customer" for n in range(1, 101)]
    return ",".join(users)


def start_issuer() -> None:
    env = {
        "BOOKSTORE_HTTP_ADDR": f"127.0.0.1:{PORTS.issuer}",
        "BOOKSTORE_PUBLIC_URL": f"http://127.0.0.1:{PORTS.gateway}",
        "BOOKSTORE_DATA_DIR": str(STATE / "issuer"),
        "BOOKSTORE_DEV_USERS": issuer_users(),
        "BOOKSTORE_LOG_FORMAT": "json",
        "RUST_LOG": "info",
    }
    spawn("issuer", [str(bookstore_bin()), "issuer"], env=env)
    wait_for("issuer", lambda: http_ok(PORTS.issuer, "/healthz"), 60, "issuer")


# Gateway ---------------------------------------------------------------------------------------------------------


def haproxy_config() -> str:
    """HAProxy as the Gateway: the shop listener routes as deploy's HTTPRoute `bookstore` does (round robin over the
    API replicas, no affinity), `/auth` goes to the identity service, and a second listener fronts Superset."""
    routes = settings.gateway_routes()
    acls, rules = [], []
    for n, (target, matches) in enumerate(sorted(routes.items())):
        conditions = []
        for kind, path in matches:
            conditions.append(f"path {path}" if kind == "Exact" else f"path {path} || path_beg {path.rstrip('/')}/")
        acl = f"route{n}"
        for condition in conditions:
            for part in condition.split(" || "):
                acls.append(f"    acl {acl} {part}")
        if target.startswith("redirect:"):
            rules.append(f"    http-request redirect location {target.split(':', 1)[1]} code 302 if {acl}")
        elif target == "bookstore-api":
            rules.append(f"    use_backend api if {acl}")
    replicas = settings.replicas(BASE / "shop" / "bookstore-api.yaml", "Deployment", "bookstore-api")
    servers = "\n".join(f"    server api-{r} 127.0.0.1:{PORTS.api(r)}" for r in range(1, replicas + 1))
    return f"""# Generated by deploy/local/cluster.py from deploy/kustomize/base/mesh/gateway.yaml; do not edit.
global
    log stdout format raw local0 info
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    # A replica that refuses connections (killed, restarting) gets the request sent to another one; a request a
    # replica accepted is never sent twice (the client retries, with its Idempotency-Key).
    retries 2
    retry-on conn-failure
    option redispatch
frontend shop
    bind 127.0.0.1:{PORTS.gateway}
{chr(10).join(acls)}
    acl identity path /auth
    acl identity path_beg /auth/
{chr(10).join(r for r in rules if "redirect" in r)}
    use_backend identity if identity
{chr(10).join(r for r in rules if "redirect" not in r)}
    # Everything else is the SPA, which the API replicas serve here (bookstore-web in the cluster).
    default_backend api
backend api
    balance roundrobin
    option httpchk GET /readyz
    default-server check inter 1s fall 2 rise 2
    # Which replica answered: lets tests prove that a shopper's requests alternate.
    http-response set-header X-Served-By %[srv_name]
{servers}
backend identity
    server issuer 127.0.0.1:{PORTS.issuer} check inter 1s
frontend superset
    bind 127.0.0.1:{PORTS.superset_gateway}
    default_backend superset
backend superset
    server superset 127.0.0.1:{PORTS.superset} check inter 2s
"""


def start_gateway() -> None:
    if not shutil.which("haproxy"):
        raise SystemExit("haproxy is not installed (Debian: apt-get install haproxy)")
    path = STATE / "haproxy.cfg"
    path.write_text(haproxy_config())
    run(["haproxy", "-c", "-q", "-f", str(path)])
    spawn("gateway", ["haproxy", "-db", "-f", str(path)])
    wait_for("gateway", lambda: http_ok(PORTS.gateway, "/healthz"), 20, "gateway")


# Superset --------------------------------------------------------------------------------------------------------


def superset_env() -> dict[str, str]:
    values = secrets_()
    return {
        "SUPERSET_CONFIG_PATH": str(BASE / "analytics" / "superset_config.py"),
        "SUPERSET_HOME": str(STATE / "superset"),
        "SUPERSET_SECRET_KEY": values["SUPERSET_SECRET_KEY"],
        "SUPERSET_META_DB_PASSWORD": values["SUPERSET_META_DB_PASSWORD"],
        "SUPERSET_RO_DB_PASSWORD": values["SUPERSET_RO_DB_PASSWORD"],
        "SUPERSET_ADMIN_PASSWORD": values["SUPERSET_ADMIN_PASSWORD"],
        "SUPERSET_ADMIN_USERNAME": "admin",
        # The in-cluster addresses of the metadata and analytics databases, local here.
        "SUPERSET_META_DB_HOSTPORT": f"127.0.0.1:{PORTS.postgres('analytics')}",
        "SUPERSET_ANALYTICS_DB_HOSTPORT": f"127.0.0.1:{PORTS.postgres('analytics')}",
        "PATH": f"{SUPERSET_VENV / 'bin'}:{os.environ['PATH']}",
    }


def superset_init() -> None:
    """The `superset-init` Job: db upgrade, admin, roles, then the bundle import (only when the bundle or the
    importer changed since the last import here)."""
    env = superset_env()
    superset = str(SUPERSET_VENV / "bin" / "superset")
    (STATE / "superset").mkdir(parents=True, exist_ok=True)
    bundle = BASE / "analytics" / "superset-bundle"
    importer = BASE / "analytics" / "superset_import.py"
    digest = hashlib.sha256()
    for path in sorted(bundle.rglob("*.yaml")) + [importer]:
        digest.update(path.read_bytes())
    stamp = STATE / "superset" / ".imported"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    log("superset: db upgrade, admin, roles, bundle import (the superset-init Job)")
    run([superset, "db", "upgrade"], env=env, quiet=True)
    run([superset, "fab", "create-admin", "--username", "admin", "--firstname", "Superset", "--lastname", "Admin",
         "--email", "admin@bookstore.local", "--password", env["SUPERSET_ADMIN_PASSWORD"]], env=env, quiet=True)
    run([superset, "init"], env=env, quiet=True)
    run([str(SUPERSET_VENV / "bin" / "python"), str(importer), str(bundle)],
        env={**env, "SUPERSET_BIN": superset}, quiet=True)
    stamp.write_text(digest.hexdigest())


def start_superset() -> None:
    if not (SUPERSET_VENV / "bin" / "superset").exists():
        raise SystemExit(f"Superset is not installed in {SUPERSET_VENV}: run `bash deploy/tests/install.sh`")
    superset_init()
    argv = [str(SUPERSET_VENV / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{PORTS.superset}", "--workers", "2",
            "--worker-class", "gthread", "--threads", "8", "--timeout", "120", "superset.app:create_app()"]
    spawn("superset", argv, env=superset_env())
    wait_for("superset", lambda: http_ok(PORTS.superset, "/health"), 180, "superset")


# The topology ----------------------------------------------------------------------------------------------------


def components() -> list[Component]:
    api_replicas = settings.replicas(BASE / "shop" / "bookstore-api.yaml", "Deployment", "bookstore-api")
    materializers = settings.replicas(BASE / "shop" / "bookstore-materializer.yaml", "Deployment",
                                      "bookstore-materializer")
    found = [
        Component(f"postgres-{db}", PORTS.postgres(db), (lambda db=db: start_postgres(db)),
                  (lambda db=db: pg_ready(db)), stop_signal=signal.SIGINT)
        for db in DATABASES
    ]
    found += [
        Component("redis", PORTS.redis, start_redis, redis_ready),
        Component("kafka", PORTS.kafka, start_kafka, lambda: port_open(PORTS.kafka)),
        Component("debezium-ecom", 0, lambda: start_debezium("ecom"), lambda: debezium_streaming("ecom")),
        Component("debezium-inventory", 0, lambda: start_debezium("inventory"),
                  lambda: debezium_streaming("inventory")),
        Component("issuer", PORTS.issuer, start_issuer, lambda: http_ok(PORTS.issuer, "/healthz")),
    ]
    found += [
        Component(f"api-{r}", PORTS.api(r), (lambda r=r: start_api(r)), (lambda r=r: http_ok(PORTS.api(r), "/readyz")))
        for r in range(1, api_replicas + 1)
    ]
    found += [
        Component(f"materializer-{r}", PORTS.materializer(r), (lambda r=r: start_materializer(r)),
                  (lambda r=r: http_ok(PORTS.materializer(r), "/readyz")))
        for r in range(1, materializers + 1)
    ]
    found += [
        Component("gateway", PORTS.gateway, start_gateway, lambda: http_ok(PORTS.gateway, "/healthz"),
                  url=f"http://127.0.0.1:{PORTS.gateway}"),
        Component("superset", PORTS.superset_gateway, start_superset, lambda: http_ok(PORTS.superset, "/health"),
                  url=f"http://127.0.0.1:{PORTS.superset_gateway}"),
    ]
    return found


def component(name: str) -> Component:
    for c in components():
        if c.name == name:
            return c
    raise SystemExit(f"no component {name}; there are: {', '.join(c.name for c in components())}")


@contextlib.contextmanager
def start_lock(name: str):
    """One start of a component at a time, whoever asks (the CLI, the supervisor, the fault suite)."""
    path = STATE / "run" / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def hold_file(name: str) -> Path:
    return STATE / "run" / f"{name}.hold"


def ensure(c: Component) -> None:
    """Starts the component unless it is running or held down (`scripts/cluster stop NAME`)."""
    with start_lock(c.name):
        if read_pid(c.name) is not None or hold_file(c.name).exists():
            return
        log(f"starting {c.name}")
        c.start()


def supervise() -> None:
    """What the kubelet's `restartPolicy: Always` does for a pod's containers: a component whose process exited
    (killed, crashed, stopped by a fault) is started again, with a back-off that doubles from 1 s to 30 s while it
    keeps failing, reset once it has stayed up for a minute. Held components are left alone."""
    backoff: dict[str, float] = {}
    next_try: dict[str, float] = {}
    started_at: dict[str, float] = {}
    while True:
        # The components it started are its children: reap the ones that exited.
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        now = time.monotonic()
        for c in components():
            if read_pid(c.name) is not None:
                if now - started_at.get(c.name, now) > 60:
                    backoff.pop(c.name, None)
                continue
            if hold_file(c.name).exists() or now < next_try.get(c.name, 0):
                continue
            try:
                ensure(c)
                started_at[c.name] = time.monotonic()
            except (SystemExit, Exception) as err:  # noqa: BLE001 (any failure to start is retried)
                log(f"supervisor: {c.name} did not start: {err}")
            delay = backoff.get(c.name, 0.5) * 2
            backoff[c.name] = min(delay, 30)
            next_try[c.name] = time.monotonic() + backoff[c.name]
        time.sleep(1)


def up(skip: set[str]) -> None:
    if not bookstore_bin().exists():
        raise SystemExit(f"no bookstore binary at {bookstore_bin()} (BOOKSTORE_BIN); scripts/cluster builds one")
    STATE.mkdir(parents=True, exist_ok=True)
    STATE.chmod(0o755)  # the PostgreSQL servers run as their own user and need to reach their folders
    migrated = False
    for c in components():
        if c.name in skip:
            hold_file(c.name).touch()
            continue
        hold_file(c.name).unlink(missing_ok=True)
        if c.name.startswith("debezium-") and not migrated:
            # Debezium streams the migration-owned publication: the schema comes first (the API's init containers).
            migrate()
            migrated = True
        ensure(c)
    if read_pid("supervisor") is None:
        spawn("supervisor", [sys.executable, str(Path(__file__).resolve()), "supervise"], env=dict(os.environ),
              cwd=Path(__file__).resolve().parent)
    log(f"up: the shop at http://127.0.0.1:{PORTS.gateway} (Superset at http://127.0.0.1:{PORTS.superset_gateway})")


def down(purge: bool) -> None:
    stop("supervisor")
    for c in reversed(components()):
        if read_pid(c.name) is not None:
            log(f"stopping {c.name}")
        stop(c.name, c.stop_signal, grace=30 if c.name.startswith("postgres") else 20)
    if purge and STATE.exists():
        shutil.rmtree(STATE)
        log(f"removed {STATE}")


def status() -> list[dict]:
    rows = []
    for c in components():
        pid = read_pid(c.name)
        rows.append({
            "held": hold_file(c.name).exists(),
            "name": c.name,
            "pid": pid,
            "port": c.port or None,
            "running": pid is not None,
            "healthy": pid is not None and c.healthy(),
            "url": c.url,
            "log": str(log_file(c.name)),
        })
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/cluster", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start whatever is not running")
    p_up.add_argument("--without", action="append", default=[], metavar="NAME",
                      help="leave a component out (e.g. --without superset)")
    p_down = sub.add_parser("down", help="stop everything")
    p_down.add_argument("--purge", action="store_true", help="also delete the cluster's data")
    p_status = sub.add_parser("status", help="every component's pid, port and health")
    p_status.add_argument("--json", action="store_true")
    p_logs = sub.add_parser("logs", help="one component's log")
    p_logs.add_argument("name")
    p_logs.add_argument("-f", "--follow", action="store_true")
    p_kill = sub.add_parser("kill", help="SIGKILL one component")
    p_kill.add_argument("name")
    p_restart = sub.add_parser("restart", help="stop one component gracefully and start it again")
    p_restart.add_argument("name")
    p_stop = sub.add_parser("stop", help="stop one component and hold it down until `start`")
    p_stop.add_argument("name")
    p_start = sub.add_parser("start", help="start a held or stopped component")
    p_start.add_argument("name")
    sub.add_parser("supervise", help=argparse.SUPPRESS)
    sub.add_parser("smoke", help="a shopper's journey through the gateway")
    sub.add_parser("reconcile", help="`bookstore reconcile` against the cluster's databases")
    p_url = sub.add_parser("url", help="the URL the API uses for one database (its owner role)")
    p_url.add_argument("database", choices=DATABASES)
    p_chaos = sub.add_parser("chaos", help="checkout load while components fail, one at a time")
    p_chaos.add_argument("--faults", default="all", help="comma-separated fault names, or all")
    p_chaos.add_argument("--report", type=Path, help="write the results as Markdown here")
    args = parser.parse_args()

    if args.command == "up":
        up(set(args.without))
    elif args.command == "down":
        down(args.purge)
    elif args.command == "status":
        rows = status()
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            for row in rows:
                health = "healthy" if row["healthy"] else ("running" if row["running"] else "stopped")
                print(f"{row['name']:<22} {str(row['pid'] or '-'):>8} {str(row['port'] or '-'):>6}  {health:<8} "
                      f"{row['url'] or ''}")
        return 0 if all(row["healthy"] for row in rows) else 1
    elif args.command == "logs":
        component(args.name)
        argv = ["tail", "-n", "200"] + (["-F"] if args.follow else []) + [str(log_file(args.name))]
        os.execvp("tail", argv)
    elif args.command == "kill":
        c = component(args.name)
        pid = read_pid(c.name)
        if pid is None:
            raise SystemExit(f"{c.name} is not running")
        os.kill(pid, signal.SIGKILL)
        log(f"killed {c.name} (pid {pid})")
    elif args.command == "restart":
        c = component(args.name)
        with start_lock(c.name):
            stop(c.name, c.stop_signal)
        ensure(c)
    elif args.command == "stop":
        c = component(args.name)
        hold_file(c.name).touch()
        stop(c.name, c.stop_signal)
    elif args.command == "start":
        c = component(args.name)
        hold_file(c.name).unlink(missing_ok=True)
        ensure(c)
    elif args.command == "supervise":
        supervise()
    elif args.command == "url":
        print(api_env(1)[f"{args.database.upper()}_DATABASE_URL"])
    elif args.command == "reconcile":
        return reconcile(capture=False).returncode
    elif args.command == "smoke":
        import smoke
        return smoke.main(PORTS, STATE)
    elif args.command == "chaos":
        import chaos
        return chaos.main(PORTS, STATE, args.faults, args.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
