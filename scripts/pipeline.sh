#!/usr/bin/env bash
# The main job, once, on the embedded defaults: what `make pipeline` runs and `make demo` starts with.
# Each step is a line so progress is visible; later stages add their steps here.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=(.cache/uv/bin/uv run --frozen)
step() { printf '\n==> %s\n' "$*" >&2; }

step "Kafka topics"
"${RUN[@]}" acme kafka topics

step "Simulate 30 days of ACME events into Kafka (once; truth manifest in lake/simulation/)"
if [[ ! -f lake/simulation/truth.json ]]; then
  "${RUN[@]}" acme simulate --seed 42 --days 30 --start-date 2026-03-02 --customers 5000 \
    --bad-share 0.01 --duplicate-share 0.005 --to kafka --out lake/simulation
else
  echo "lake/simulation/truth.json exists: events already produced" >&2
fi

step "Ingest: Kafka -> Delta raw events, dead letters, live metrics (until caught up)"
"${RUN[@]}" acme ingest --until-idle

step "Dagster: raw checks -> dbt build and tests -> serving publish -> forecasts, anomalies, reports"
# The same job `dagster dev` shows; run history goes to the persistent Dagster home.
DAGSTER_HOME="$("${RUN[@]}" python -m orchestration.environment)"
export DAGSTER_HOME
"${RUN[@]}" dagster job execute -m orchestration.definitions -j lakehouse_pipeline

step "Pipeline finished"
