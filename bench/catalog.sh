#!/usr/bin/env bash
# Catalog read benchmark: `bookstore serve` (embedded default, fresh data dir) against a bare axum handler serving
# the same bytes, measured in the same run with wrk. Prints a Markdown table row per target.
# Usage: bench/catalog.sh [duration_seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${BOOKSTORE_CACHE:-/var/cache/bookstore}"   # the one setting for everything cached outside the clone
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
duration=${1:-20}
connections=${2:-32}
path='/ecom/books?page=0&size=20'

command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
cargo build --release --locked -q --bin bookstore --example bare_axum -p bookstore-api
bin="$CARGO_TARGET_DIR/release"

work=$(mktemp -d)
chmod 755 "$work"   # the embedded PostgreSQL runs unprivileged when we are root
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api_port=$(free_port); bare_port=$(free_port); pg_port=$(free_port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

BOOKSTORE_DATA_DIR="$work/data" BOOKSTORE_PG_PORT=$pg_port BOOKSTORE_HTTP_ADDR=127.0.0.1:$api_port RUST_LOG=warn \
  "$bin/bookstore" serve >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$api_port/readyz" >/dev/null && break; sleep 0.5; done
curl -fs "http://127.0.0.1:$api_port$path" >"$work/body.json"
"$bin/examples/bare_axum" "127.0.0.1:$bare_port" "$work/body.json" &
pids+=($!)
sleep 0.5
cmp <(curl -fs "http://127.0.0.1:$bare_port$path") "$work/body.json"

measure() { # name url
  wrk -t2 -c"$connections" -d2s "$2" >/dev/null   # warm-up
  wrk -t2 -c"$connections" -d"${duration}s" --latency "$2" >"$work/$1.txt"
  local rps p99
  rps=$(awk '/^Requests\/sec/ {print $2}' "$work/$1.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$1.txt")
  echo "$1 $rps $p99"
}
api=$(measure bookstore "http://127.0.0.1:$api_port$path")
bare=$(measure bare-axum "http://127.0.0.1:$bare_port$path")
read -r _ api_rps api_p99 <<<"$api"
read -r _ bare_rps bare_p99 <<<"$bare"
ratio=$(python3 -c "print(f'{$api_rps / $bare_rps:.2f}')")
echo "| $(date -u +%Y-%m-%d) | GET $path | ${connections} conns, ${duration}s | bookstore ${api_rps} req/s, p99 ${api_p99} | bare axum ${bare_rps} req/s, p99 ${bare_p99} | ${ratio} |"
