#!/usr/bin/env bash
# Freshness through the distributed form's real path: orders committed in the ecom database at RATE/s for SECONDS,
# each timed from its commit to being counted in vw_sales_over_time — through Debezium, Kafka and the
# materializers' consumer group of the local cluster (`scripts/cluster`, started here when it is not running) —
# beside the embedded default's figure measured in the same run (bench/analytics.sh freshness). Release builds.
# Prints Markdown rows for bench/README.md.
# Usage: bench/cluster-freshness.sh [rate] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${BOOKSTORE_CACHE:-/var/cache/bookstore}"   # the one setting for everything cached outside the clone
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
rate=${1:-50}
seconds=${2:-30}

cargo build --release --locked -q --example freshness -p bookstore-materializer
bench/analytics.sh "$rate" "$seconds" 0 freshness

if ! scripts/cluster status >/dev/null; then
  scripts/cluster up >&2
fi
# Nothing else writes orders meanwhile: the probe counts today's orders in the view.
load=$(cut -d' ' -f1-3 /proc/loadavg)
out=$("$CARGO_TARGET_DIR/release/examples/freshness" "$(scripts/cluster url ecom)" "$(scripts/cluster url analytics)" \
  "$rate" "$seconds" | tail -1)
echo "| $(date -u +%Y-%m-%d) | freshness, local cluster (Debezium → Kafka → 2 materializers), ${rate} orders/s for ${seconds}s (load avg before: $load) | $out |"
