#!/usr/bin/env bash
# Creates every topic listed in kafka-topics.txt (name, partitions, comma-separated configs) and then
# checks the partition count of each, so a topic that already existed with fewer partitions is reported
# instead of silently accepted. Idempotent: re-running the Job changes nothing.
set -euo pipefail
bootstrap="${KAFKA_BOOTSTRAP_SERVERS:?KAFKA_BOOTSTRAP_SERVERS must be set}"
topics_file="${TOPICS_FILE:-/config/kafka-topics.txt}"
bin=/opt/kafka/bin

echo "waiting for Kafka at ${bootstrap}"
for attempt in $(seq 1 60); do
  if "$bin/kafka-broker-api-versions.sh" --bootstrap-server "$bootstrap" >/dev/null 2>&1; then
    break
  fi
  if [[ "$attempt" == 60 ]]; then
    echo "Kafka at ${bootstrap} did not answer within 5 minutes" >&2
    exit 1
  fi
  sleep 5
done

status=0
while read -r topic partitions configs; do
  [[ -z "$topic" || "$topic" == \#* ]] && continue
  config_args=()
  IFS=',' read -ra pairs <<<"$configs"
  for pair in "${pairs[@]}"; do
    config_args+=(--config "$pair")
  done
  "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --if-not-exists \
    --topic "$topic" --partitions "$partitions" --replication-factor 1 "${config_args[@]}"
  actual="$("$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --describe --topic "$topic" \
    | sed -n 's/.*PartitionCount: *\([0-9]*\).*/\1/p' | head -n1)"
  if [[ "$actual" != "$partitions" ]]; then
    echo "topic ${topic}: has ${actual:-?} partitions, expected ${partitions}" >&2
    status=1
  else
    echo "topic ${topic}: ${partitions} partitions"
  fi
done <"$topics_file"
exit "$status"
