#!/usr/bin/env bash
# After `make pipeline`: keeps the system live until Ctrl-C, then stops everything it started.
#   - the simulator in live mode keeps producing ACME events into Kafka;
#   - the ingester lands them in Delta and keeps the per-minute live metrics;
#   - Dagster (dagster dev) rebuilds the marts as new raw data arrives (automation sensor);
#   - Superset serves the dashboards (Executive Live refreshes from the live metrics), and its
#     Celery worker and beat send the e-mail reports users schedule.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=(.cache/uv/bin/uv run --frozen)
LOGS=.local/demo-logs
mkdir -p "$LOGS"
pids=()

stop_all() {
  trap - INT TERM
  echo >&2; echo "Stopping the demo..." >&2
  # Each service runs in its own process group (setsid): signal the whole group so grandchildren
  # (uv -> python -> dagster's webserver, daemon and code server) stop too.
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for _ in $(seq 30); do  # up to 30 s for a graceful stop (the ingester flushes and commits)
    alive=0
    for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 1
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  "${RUN[@]}" acme kafka down
  echo "Stopped. Logs are in $LOGS/." >&2
  exit 0
}
trap stop_all INT TERM

start() {  # start NAME COMMAND...: run in the background, output to $LOGS/NAME.log
  local name=$1; shift
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  pids+=($!)
  echo "  started $name (pid $!, log $LOGS/$name.log)" >&2
}

DAGSTER_HOME="$("${RUN[@]}" python -m orchestration.environment)"
export DAGSTER_HOME
"${RUN[@]}" acme kafka up  # normally up already from `make pipeline`; a no-op then
echo "Starting the live services..." >&2
start ingest "${RUN[@]}" acme ingest
start simulator "${RUN[@]}" acme simulate --mode live --rate 20 --to kafka --quiet
start dagster "${RUN[@]}" dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000
start superset scripts/superset-up.sh

cat >&2 <<'MSG'

The demo is running (everything on 127.0.0.1):
  Superset dashboards   http://127.0.0.1:8088   (users and passwords: docs/superset.md)
  Superset reports      worker + beat, Redis 127.0.0.1:6379 (mail via ACME_ALERT_SMTP_HOST)
  Dagster               http://127.0.0.1:3000
  Ingest metrics        http://127.0.0.1:9108/metrics   (/healthz, /readyz)
  Kafka                 127.0.0.1:9092
Press Ctrl-C to stop.
MSG
# If a service dies, say so and stop the rest rather than leave a half-running demo.
while true; do
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "A demo service (pid $pid) exited; see $LOGS/. Stopping." >&2
      stop_all
    fi
  done
  sleep 2 &
  wait $! || true
done
