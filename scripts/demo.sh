#!/usr/bin/env bash
# Keeps the user-facing services running after `make pipeline` until Ctrl-C, then stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=(.cache/uv/bin/uv run --frozen)
pids=()
stop_all() {
  echo >&2; echo "Stopping the demo..." >&2
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "${RUN[@]}" acme kafka down
  exit 0
}
trap stop_all INT TERM

echo >&2
echo "The demo is running:" >&2
echo "  Kafka     127.0.0.1:9092" >&2
echo "Press Ctrl-C to stop." >&2
# `sleep` in the background so the trap runs as soon as Ctrl-C arrives.
while true; do sleep 3600 & pids+=($!); wait $! || true; done
