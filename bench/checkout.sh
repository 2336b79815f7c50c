#!/usr/bin/env bash
# Checkout benchmark: 32 shoppers each adding a book and checking out in a loop against `bookstore serve`
# (release build), beside `pgbench -c 32` (built-in TPC-B) against the same PostgreSQL in the same run — once on
# the embedded default, once in the cluster's shape (shop databases on the system PostgreSQL, analytics
# elsewhere); then the memory of 10 000 live cart actors. Prints Markdown table rows.
# Usage: bench/checkout.sh [seconds] [shoppers]     (BENCH_SYSTEM_PG: the server for the second run)
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${BOOKSTORE_CACHE:-/var/cache/bookstore}"   # the one setting for everything cached outside the clone
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
seconds=${1:-20}
shoppers=${2:-32}
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

cargo build --release --locked -q --bin bookstore --example checkout_load -p bookstore-api
cargo build --release --locked -q --example live_carts -p bookstore-actors
bin="$CARGO_TARGET_DIR/release"

work=$(mktemp -d)
chmod 755 "$work"   # the embedded PostgreSQL runs unprivileged when we are root
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api_port=$(free_port); pg_port=$(free_port)
pid=
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

users=$(for i in $(seq 1 "$shoppers"); do printf 'bench%s:benchpass:customer,' "$i"; done)
# Budgets far above the load, so the limiter still runs on every request but never answers 429.
limits=catalog=10000000,cart=10000000,checkout=10000000,admin=10000000,analytics=10000000
book=00000000-0000-0000-0000-000000000001

# serve [ENV=VALUE...]: starts `bookstore serve` with these settings and waits until it is ready.
serve() {
  env "$@" BOOKSTORE_RATE_LIMITS=$limits BOOKSTORE_HTTP_ADDR=127.0.0.1:$api_port RUST_LOG=warn \
    BOOKSTORE_DEV_USERS="${users}admin1:admin1pass:customer+admin" "$bin/bookstore" serve >"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 240); do curl -fs "http://127.0.0.1:$api_port/readyz" >/dev/null && return; sleep 0.5; done
  echo "bookstore serve did not become ready:" >&2; tail -5 "$work/serve.log" >&2; exit 1
}

# settle PSQL_ARGS...: waits (up to a minute) until every WAL sender has read the WAL written so far, so that
# neither measured run pays for decoding what came before it (pgbench -i's tables, or the other run).
settle() {
  local target behind
  target=$("$pgbin/psql" -Atq -c "SELECT pg_current_wal_lsn()" "$@")
  for _ in $(seq 1 120); do
    behind=$("$pgbin/psql" -Atq -c "SELECT count(*) FROM pg_stat_replication WHERE sent_lsn < '$target'" "$@")
    [ "$behind" = 0 ] && return
    sleep 0.5
  done
}

# race LABEL PGBENCH_ARGS...: the shoppers against the running server and pgbench against the same PostgreSQL,
# in four rounds of half the time each, shop-pgbench-pgbench-shop: the machine's speed drifts by 10-20 % within
# minutes here, and alternating the order cancels a steady drift instead of handing it to one side. Prints a
# table row: checkouts/s and pgbench's tps over all rounds, p50/p99 over every checkout.
race() {
  local label=$1; shift
  local base="http://127.0.0.1:$api_port" admin csrf half=$(( (seconds + 1) / 2 )) round
  # Enough stock that the run never sells out.
  admin=$(curl -fs -d grant_type=password -d client_id=ui-client -d username=admin1 -d password=admin1pass "$base/auth/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  csrf=$(curl -fs -H "Authorization: Bearer $admin" "$base/csrf/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  curl -fs -X PUT -H "Authorization: Bearer $admin" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
    -d '{"quantity": 100000000}' "$base/inven/admin/stock/$book" >/dev/null
  # pgbench's tables are built first, and each measured round starts once the WAL senders have caught up and right
  # after a checkpoint: no round pays for another's (or the set-up's) WAL decoding and dirty pages.
  "$pgbin/pgbench" -q -i -s 10 "$@" >/dev/null 2>&1
  : >"$work/latencies"; : >"$work/shop"; : >"$work/pgbench"
  for round in shop pgbench pgbench shop; do
    settle "$@"
    "$pgbin/psql" -q -X -c CHECKPOINT "$@"
    if [ "$round" = shop ]; then
      "$bin/examples/checkout_load" "$base" "$book" "$shoppers" "$half" "$work/latencies" 2>&1 | tail -1 >>"$work/shop"
    else
      "$pgbin/pgbench" -c "$shoppers" -j 2 -T "$half" "$@" 2>/dev/null >>"$work/pgbench"
    fi
  done
  python3 - "$work" "$label" "$shoppers" "$half" <<'PY'
import re, sys, datetime
work, label, shoppers, half = sys.argv[1:]
runs = [dict(kv.split("=") for kv in line.split()) for line in open(f"{work}/shop") if line.startswith("checkouts=")]
checkouts = sum(int(r["checkouts"]) for r in runs); elapsed = sum(float(r["seconds"]) for r in runs)
errors = sum(int(r["errors"]) for r in runs)
lat = sorted(float(x) for x in open(f"{work}/latencies"))
pct = lambda p: lat[min(int(len(lat) * p), len(lat) - 1)] if lat else 0.0
pg = open(f"{work}/pgbench").read()
txns = sum(int(n) for n in re.findall(r"number of transactions actually processed: (\d+)", pg))
pg_time = sum(float(t) for t in re.findall(r"duration: (\d+) s", pg))
lats = [float(x) for x in re.findall(r"latency average = ([\d.]+) ms", pg)]
tps, pg_tps = checkouts / elapsed, txns / pg_time
print(f"| {datetime.date.today()} | {label}, {shoppers} shoppers, 2 x {half} s each side, alternating "
      f"| {tps:.0f}/s, p50 {pct(0.5):.0f} ms, p99 {pct(0.99):.0f} ms, {errors} errors "
      f"| pgbench -c {shoppers} TPC-B: {pg_tps:.0f} tps, avg {sum(lats) / len(lats):.1f} ms | {tps / pg_tps:.2f} |")
PY
}

# 1. The embedded default: one process with its own PostgreSQL, the CDC reader and the analytics materializer
#    on the same two cores and the same PostgreSQL as the shop.
serve BOOKSTORE_DATA_DIR="$work/data" BOOKSTORE_PG_PORT=$pg_port
export PGPASSWORD; PGPASSWORD=$(cat "$work/data/postgres.password")
"$pgbin/psql" -q -h 127.0.0.1 -p "$pg_port" -U bookstore -d postgres -c 'CREATE DATABASE pgbench'
race "embedded default (analytics in the same process and PostgreSQL)" -h 127.0.0.1 -p "$pg_port" -U bookstore pgbench

ecom="postgres://bookstore:$PGPASSWORD@127.0.0.1:$pg_port/ecom"
inventory="postgres://bookstore:$PGPASSWORD@127.0.0.1:$pg_port/inventory"
memory=$("$bin/examples/live_carts" "$ecom" "$inventory" 10000 2>&1 | tail -1)
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=

# 2. The cluster's shape: the shop's databases on a PostgreSQL server of their own (here the system one,
#    BENCH_SYSTEM_PG), analytics materialized by another deployment; pgbench against that same server.
system=${BENCH_SYSTEM_PG:-postgres://postgres@127.0.0.1:5432}
for db in bench_ecom bench_inventory bench_analytics bench_pgbench; do
  "$pgbin/psql" -q "$system/postgres" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
done
urls=(ECOM_DATABASE_URL="$system/bench_ecom" INVENTORY_DATABASE_URL="$system/bench_inventory"
      ANALYTICS_DATABASE_URL="$system/bench_analytics")
env "${urls[@]}" RUST_LOG=warn "$bin/bookstore" migrate >/dev/null
# The dev issuer beside external databases refuses to start unless told: this benchmark means it.
serve "${urls[@]}" BOOKSTORE_ALLOW_DEV_ISSUER=true
race "shop only (analytics elsewhere, as in the cluster)" "$system/bench_pgbench"
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=
for db in bench_ecom bench_inventory bench_analytics bench_pgbench; do
  "$pgbin/psql" -q "$system/postgres" -c "DROP DATABASE IF EXISTS $db"
done

echo "| $(date -u +%Y-%m-%d) | 10 000 live cart actors | $memory |"
