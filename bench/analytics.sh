#!/usr/bin/env bash
# Analytics benchmarks (release build, one embedded PostgreSQL cluster for the whole run). Prints Markdown rows.
#  1. freshness: `bookstore serve` (embedded default) while orders are committed in ecom at RATE/s for SECONDS;
#     each order's latency from commit to being counted in vw_sales_over_time (materializer/examples/freshness.rs).
#  2. ingest: `bookstore replay` of a generated kcat -C -J dump of RECORDS Debezium creates into a fresh analytics
#     database, beside a raw COPY of the very same rows into the same tables of another fresh one (ordinary
#     triggers off for the COPY session: nothing but the rows).
#  3. cost growth: the per-event cost of applying new orders in small chunks, each ending with the views current
#     (materializer/examples/cost_probe.rs), over 10 000 and over 1 000 000 orders of history.
# Usage: bench/analytics.sh [rate] [seconds] [records] [which: all|freshness|ingest|cost] [new orders for cost]
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${BOOKSTORE_CACHE:-/var/cache/bookstore}"   # the one setting for everything cached outside the clone
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
rate=${1:-100}
seconds=${2:-30}
records=${3:-1000000}
which=${4:-all}
new_orders=${5:-3000}
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

cargo build --release --locked -q --bin bookstore -p bookstore-api
cargo build --release --locked -q --example freshness --example cost_probe -p bookstore-materializer
bin="$CARGO_TARGET_DIR/release"

work=$(mktemp -d)
chmod 755 "$work"   # the embedded PostgreSQL runs unprivileged when we are root
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api_port=$(free_port); pg_port=$(free_port)
pid=
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

BOOKSTORE_DATA_DIR="$work/data" BOOKSTORE_PG_PORT=$pg_port BOOKSTORE_HTTP_ADDR=127.0.0.1:$api_port RUST_LOG=warn \
  "$bin/bookstore" serve >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 240); do curl -fs "http://127.0.0.1:$api_port/readyz" >/dev/null && break; sleep 0.5; done
export PGPASSWORD; PGPASSWORD=$(cat "$work/data/postgres.password")
url() { echo "postgres://bookstore:$PGPASSWORD@127.0.0.1:$pg_port/$1"; }
psql_() { "$pgbin/psql" -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U bookstore "$@"; }
# A fresh analytics database migrated by the binary itself.
fresh_analytics() {
  psql_ -d postgres -c "CREATE DATABASE $1"
  ECOM_DATABASE_URL=$(url ecom) INVENTORY_DATABASE_URL=$(url inventory) ANALYTICS_DATABASE_URL=$(url "$1") \
    RUST_LOG=warn "$bin/bookstore" migrate --service analytics
}
# COPY of the generated CSVs in $2 into database $1, ordinary triggers off; prints the seconds it took.
copy_csv() {
  local start end
  start=$(date +%s.%N)
  psql_ -d "$1" <<SQL
SET session_replication_role = replica;
\copy dim_books (book_id, title, author, price, genre, isbn, published_year, created_at, source_lsn) FROM '$2/dim_books.csv' CSV
\copy fact_inventory (book_id, quantity, reserved, updated_at, source_lsn) FROM '$2/fact_inventory.csv' CSV
\copy fact_orders (order_id, user_id, total, status, created_at, source_lsn) FROM '$2/fact_orders.csv' CSV
\copy fact_order_items (id, order_id, book_id, quantity, price_at_purchase, source_lsn) FROM '$2/fact_order_items.csv' CSV
SQL
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.1f}')"
}
today=$(date -u +%Y-%m-%d)
load=$(cut -d' ' -f1-3 /proc/loadavg)

if [ "$which" = all ] || [ "$which" = freshness ]; then
  out=$("$bin/examples/freshness" "$(url ecom)" "$(url analytics)" "$rate" "$seconds" | tail -1)
  echo "| $today | freshness, embedded default, ${rate} orders/s for ${seconds}s (load avg before: $load) | $out |"
fi

if [ "$which" = all ] || [ "$which" = ingest ]; then
  orders=$(( (records - 2000) / 3 ))
  python3 bench/debezium_dump.py "$orders" "$work/ingest" --dump --csv
  lines=$(wc -l <"$work/ingest/dump.jsonl")
  fresh_analytics bench_replay >/dev/null
  fresh_analytics bench_copy >/dev/null
  start=$(date +%s.%N)
  ECOM_DATABASE_URL=$(url ecom) INVENTORY_DATABASE_URL=$(url inventory) ANALYTICS_DATABASE_URL=$(url bench_replay) \
    RUST_LOG=warn "$bin/bookstore" replay "$work/ingest/dump.jsonl" 2>"$work/replay.log"
  end=$(date +%s.%N)
  replay_s=$(python3 -c "print(f'{$end - $start:.1f}')")
  copy_s=$(copy_csv bench_copy "$work/ingest")
  check=$(psql_ -d bench_replay -Atc "SELECT count(*) FROM fact_orders")
  [ "$check" = "$orders" ] || { echo "replay applied $check orders, expected $orders" >&2; cat "$work/replay.log" >&2; exit 1; }
  python3 - "$lines" "$replay_s" "$copy_s" "$today" "$orders" <<'PY'
import sys
n, r, c, day, orders = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
g = lambda x: f"{x:,.0f}".replace(",", " ")
print(f"| {day} | ingest, {g(n)} records (creates; {g(orders)} orders) | replay {r:.1f} s = {g(n / r)} events/s "
      f"| COPY {c:.1f} s = {g(n / c)} rows/s | {c / r:.2f} |")
PY
  rm -rf "$work/ingest"
fi

if [ "$which" = all ] || [ "$which" = cost ]; then
  # New orders to apply after the history (3 events each), in chunks of 150 events (50 orders).
  python3 bench/debezium_dump.py "$new_orders" "$work/new" --dump --no-catalog --first-order 2000000
  for history in 10000 1000000; do
    db=bench_cost_$history
    python3 bench/debezium_dump.py "$history" "$work/history" --csv
    fresh_analytics "$db" >/dev/null
    copy_csv "$db" "$work/history" >/dev/null
    ECOM_DATABASE_URL=$(url ecom) INVENTORY_DATABASE_URL=$(url inventory) ANALYTICS_DATABASE_URL=$(url "$db") \
      "$bin/bookstore" migrate --service analytics >/dev/null 2>&1
    psql_ -d "$db" -c "ANALYZE" -c "DO \$\$ BEGIN PERFORM agg_rebuild(); EXCEPTION WHEN undefined_function THEN NULL; END \$\$"
    for view in $(psql_ -d "$db" -Atc "SELECT matviewname FROM pg_matviews"); do psql_ -d "$db" -c "REFRESH MATERIALIZED VIEW $view"; done
    out=$("$bin/examples/cost_probe" "$(url "$db")" "$work/new/dump.jsonl" 150 | tail -1)
    echo "| $today | cost, ${history} orders of history | $out |"
    psql_ -d postgres -c "DROP DATABASE $db"
    rm -rf "$work/history"
  done
fi
