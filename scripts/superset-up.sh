#!/usr/bin/env bash
# Serves Superset on 127.0.0.1:${SUPERSET_PORT:-8088}, provisioned from superset/bundles, with the
# Celery worker and beat of its e-mail reports (and their Redis), until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
export SUPERSET_CONFIG_PATH="$PWD/superset_config.py"
echo "Starting Superset on 127.0.0.1:${SUPERSET_PORT:-8088} (users and passwords: docs/superset.md)..." >&2
exec superset/.venv/bin/acme-superset up --port "${SUPERSET_PORT:-8088}"
