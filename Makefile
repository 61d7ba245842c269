# The Makefile is the project's interface: every target sets up what it needs, idempotently.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
UV := .cache/uv/bin/uv
RUN := $(UV) run --frozen
SYSTEM_DEPS := java=openjdk-17-jre-headless mvn=maven chromium=chromium chromedriver=chromium-driver \
	redis-server=redis-server

.PHONY: help setup system-deps env kafka-up kafka-down pipeline demo test lint bench dev clean
.PHONY: superset-env superset-up

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(UV):
	@echo "Bootstrapping uv $(UV_VERSION) into .cache/uv ..." >&2
	python3 -m venv .cache/uv
	.cache/uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode at sync, not at first import: every dbt build is a new process, and compiling its
# imports costs it about 3 CPU-seconds where PYTHONDONTWRITEBYTECODE keeps no cache.
.venv/.synced: pyproject.toml uv.lock | $(UV)
	@echo "Syncing the pipeline environment (.venv) from uv.lock ..." >&2
	$(UV) sync --frozen --compile-bytecode
	@touch $@

system-deps: ## Install missing system packages (Java, Maven) with apt-get
	@scripts/system-deps.sh $(SYSTEM_DEPS)

env: .venv/.synced ## Create or update the Python environment

setup: system-deps env ## Everything the pipeline needs: system packages, environment, Kafka jars
	@$(RUN) python -c "from acme.kafka.local_broker import broker_jars; broker_jars()"

kafka-up: setup ## Start the local Kafka broker (127.0.0.1:9092) and create the topics
	@$(RUN) acme kafka up
	@$(RUN) acme kafka topics >/dev/null

kafka-down: env ## Stop the local Kafka broker
	@$(RUN) acme kafka down

pipeline: kafka-up ## Run the main job once on the embedded defaults, then exit
	@scripts/pipeline.sh

demo: pipeline superset-env ## Run the main job, then serve the user-facing services until Ctrl-C
	@scripts/demo.sh

lint: env ## ruff (lint + format check), mypy, sqlfluff
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy acme ingest orchestration simulator
	$(RUN) sqlfluff lint dbt_project/models

test: setup superset-env lint ## Set everything up and run the whole suite (needs no running services)
	$(RUN) pytest

bench: setup superset-env ## Run the benchmarks; results as JSON under bench/results/
	$(RUN) python -m bench

dev: kafka-up ## Start `dagster dev` with the whole asset graph (run history in ACME_DAGSTER_HOME)
	DAGSTER_HOME="$$($(RUN) python -m orchestration.environment)" \
		$(RUN) dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

# Superset pins old pandas/numpy/SQLAlchemy: its own environment (docs/decisions/superset-environment.md).
superset/.venv/.synced: superset/pyproject.toml superset/uv.lock | $(UV)
	@echo "Syncing Superset's environment (superset/.venv) from superset/uv.lock ..." >&2
	cd superset && ../$(UV) sync --frozen
	@touch $@

superset-env: system-deps superset/.venv/.synced ## Superset's own environment, Debian's Chromium, chromedriver, Redis

superset-up: superset-env ## Serve Superset on 127.0.0.1:8088 (provisioned from superset/bundles) with its report worker
	@scripts/superset-up.sh

clean: ## Remove generated data (lake, local Kafka state); keeps environments and caches
	-$(RUN) acme kafka down
	rm -rf .local lake/raw lake/dead_letters lake/live lake/warehouse lake/simulation dbt_project/target
