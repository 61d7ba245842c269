#!/usr/bin/env bash
# The main job, once, on the embedded defaults: what `make pipeline` runs and `make demo` starts with.
# Each step is a line so progress is visible; later stages add their steps here.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=(.cache/uv/bin/uv run --frozen)
step() { printf '\n==> %s\n' "$*" >&2; }

step "Kafka topics"
"${RUN[@]}" acme kafka topics

step "Ingest: Kafka -> Delta raw events, dead letters, live metrics (until caught up)"
"${RUN[@]}" acme ingest --until-idle

step "Pipeline finished"
