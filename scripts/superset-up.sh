#!/usr/bin/env bash
# Serves Superset on 127.0.0.1:${SUPERSET_PORT:-8088}, provisioned from superset/bundles, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export SUPERSET_CONFIG_PATH="$PWD/superset_config.py"
port="${SUPERSET_PORT:-8088}"
cli=superset/.venv/bin/acme-superset
step() { printf '\n==> %s\n' "$*" >&2; }

step "Superset metadata database and admin"
"$cli" bootstrap
step "Starting Superset on 127.0.0.1:$port"
"$cli" serve --port "$port" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 180); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "error: Superset exited; see the log above" >&2; exit 1; }
  sleep 1
done
step "Provisioning dashboards, roles and users from superset/bundles"
"$cli" provision --url "http://127.0.0.1:$port"
echo >&2
echo "Superset is up: http://127.0.0.1:$port (user admin; see docs/superset.md). Ctrl-C stops it." >&2
wait "$server"
