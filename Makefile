# Local-first lakehouse simulator. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
JARS := jars/MANIFEST.txt
AZURITE := emulators/azurite_npm/node_modules/.bin/azurite-blob
# The one CLI (lakehouse_local/cli.py). `make setup` installs it as the `lakehouse` console
# script; the `python -m` form needs no reinstall, so the targets use it.
CLI := $(PY) -m lakehouse_local
# Python workers must use the virtualenv's interpreter ("Python worker failed to connect back").
export PYSPARK_PYTHON := $(abspath $(PY))
export PYSPARK_DRIVER_PYTHON := $(abspath $(PY))

# make stream / make up default to Azurite; make test picks targets per test.
LAKEHOUSE_STORAGE ?= azurite
export LAKEHOUSE_STORAGE
SETS ?= 2
SEED ?= 42
SCALE ?= 1
PYTEST_ARGS ?=
FUZZ_SEED ?= 42
FUZZ_CASES ?= 1000
FUZZ_ROUNDS ?= 4
FUZZ_TARGET ?= local
# Extra flags of `make stream`, e.g. STREAM_ARGS="--rate 12000" (see lakehouse run stream -h).
STREAM_ARGS ?=
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup up down status stream test test-connect test-long fuzz generate lint bench bench-quick compose-check clean wheel ci
.PHONY: cluster-up cluster-down cluster-status test-cluster bench-cluster

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $@

$(JARS): $(STAMP) app/platform/jars.py
	$(PY) -m app.platform.jars resolve

$(AZURITE): emulators/azurite_npm/package.json emulators/azurite_npm/package-lock.json
	cd emulators/azurite_npm && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

setup: $(STAMP) $(JARS) $(AZURITE) ## Create the virtualenv, resolve Spark's jars, install Azurite (idempotent)

up: setup ## Start the emulators (Docker if reachable, else local Azurite), provision storage, build Spark's class archive
	$(CLI) up

down: ## Stop what `make up` started
	@if [ -x $(PY) ]; then $(CLI) down; else echo "nothing to stop"; fi

status: setup ## What runs where; every table's rows and each stream's checkpoint
	$(CLI) status

# `up --quick` returns at once when Azurite answers and the class archive exists.
stream: setup ## Run every stream continuously with a live view, while a producer lands data (Ctrl-C stops)
	@$(CLI) up --quick
	$(CLI) run stream $(STREAM_ARGS)

# The suite on an in-process (classic) session, then the tests marked spark_modes again on a
# Spark Connect session (as on Databricks serverless): the two cannot share one process.
# The proofs marked `long` (a minute or more each, most in processes of their own) are left
# to test-long; a -m in PYTEST_ARGS comes last and replaces the "not long".
test: setup ## Run the offline test suite (starts and stops Azurite itself), then its Spark Connect part
	$(PY) -m pytest -m "not long" $(PYTEST_ARGS)
	$(if $(PYTEST_ARGS),,LAKEHOUSE_TEST_SPARK_MODE=connect $(PY) -m pytest -m spark_modes)

test-connect: setup ## Only the tests marked spark_modes, on a Spark Connect session
	LAKEHOUSE_TEST_SPARK_MODE=connect $(PY) -m pytest -m spark_modes $(PYTEST_ARGS)

test-long: setup ## The long proofs make test leaves out: 2-worker cluster, Azurite outages, secrets, split sets, fuzz sample (~9 min)
	$(PY) -m pytest -m long $(PYTEST_ARGS)

chaos: setup ## Kill -9 the stream at seeded moments, restart, drain, compare with ground truth (STORAGE=local|azurite ROUNDS SEED)
	$(PY) -m tests.chaos --storage $(or $(STORAGE),local) --seed $(SEED) $(if $(ROUNDS),--rounds $(ROUNDS))

generate: up ## Land synthetic data sets (SETS, SEED, SCALE) in the data zone (emulators up first)
	$(CLI) generate --sets $(SETS) --seed $(SEED) --scale $(SCALE) --target $(LAKEHOUSE_STORAGE)

fuzz: setup ## Hostile-input fuzz suite: FUZZ_CASES (1000) cases in FUZZ_ROUNDS rounds, seed FUZZ_SEED (replays)
	$(PY) -m tests.fuzz --cases $(FUZZ_CASES) --rounds $(FUZZ_ROUNDS) --seed $(FUZZ_SEED) --target $(FUZZ_TARGET)

lint: setup ## ruff, mypy, the import contracts, azure-pipelines.yml against Microsoft's schema
	$(VENV)/bin/ruff check app lakehouse_local emulators data_generators tests bench release notebooks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.azure-pipelines --regex-variant python \
		azure-pipelines.yml release/steps.yml

bench: setup ## Print the storage, generator and pipeline benchmarks (pipeline: over an hour)
	$(PY) bench/storage.py
	$(PY) bench/generate.py
	$(PY) bench/pipeline.py $(BENCH_ARGS)

bench-quick: setup ## A smoke run of the pipeline benchmark (a few minutes; figures not meaningful)
	$(PY) bench/pipeline.py --quick $(BENCH_ARGS)

wheel: setup ## Build the deployable wheel into dist/
	rm -rf dist && $(PY) -m pip wheel --quiet --no-deps -w dist .

# make ci: the whole build-and-release flow, offline. The release script is the one the
# release stages run; only DATABRICKS_HOST/DATABRICKS_TOKEN point at the local emulator.
# Its job runs the batch-test notebook over a generated set (CI_SCALE) on the `local`
# storage target in CI_HOME. The token lives in a 0600 file and is never echoed.
CI_HOME ?= $(abspath .lakehouse/ci)
CI_SCALE ?= 0.05
CI_JUNIT ?= build/release-junit.xml
ci: setup ## Tests, wheel, Databricks emulator up, release script running the batch-test job, JUnit, emulator down
	$(MAKE) test  # PYTEST_ARGS from the command line reaches it through MAKEFLAGS
	$(MAKE) wheel
	rm -rf $(CI_HOME) && mkdir -p $(CI_HOME)
	LAKEHOUSE_STORAGE=local LAKEHOUSE_HOME=$(CI_HOME) $(CLI) produce --sets 1 --scale $(CI_SCALE) --seed $(SEED)
	$(PY) -m emulators.databricks up --state $(CI_HOME)/databricks
	@status=0; \
	DATABRICKS_HOST=$$(cat $(CI_HOME)/databricks/url) DATABRICKS_TOKEN=$$(cat $(CI_HOME)/databricks/token) \
	$(PY) release/deploy.py --wheel $$(ls dist/lakehouse_sim-*.whl) --notebooks notebooks \
		--environment dev --junit $(CI_JUNIT) --timeout 1800 \
		--cluster-env LAKEHOUSE_STORAGE=local --cluster-env LAKEHOUSE_HOME=$(CI_HOME) \
		--cluster-env LAKEHOUSE_JARS_DIR=$(abspath jars) || status=$$?; \
	$(PY) -m emulators.databricks down --state $(CI_HOME)/databricks; \
	echo "make ci: JUnit result in $(CI_JUNIT)"; exit $$status

# A local Spark standalone cluster (docs/cluster.md); commands run on it with
# LAKEHOUSE_SPARK_MASTER=spark://127.0.0.1:7077.
WORKERS ?= 2
cluster-up: setup ## Start a Spark standalone master + WORKERS (2) workers of 1 core, 2g on 127.0.0.1:7077 (UI :8080)
	$(CLI) cluster up --workers $(WORKERS)

cluster-down: ## Stop the cluster `make cluster-up` started (its executors too)
	@if [ -x $(PY) ]; then $(CLI) cluster down; else echo "nothing to stop"; fi

cluster-status: setup ## The local cluster: master URL, workers alive, listening addresses
	$(CLI) cluster status

test-cluster: setup ## Batch and stream tests on their own 2-worker cluster against Azurite (~7 min)
	CLUSTER_STREAM_TEST=1 $(PY) -m pytest tests/emulators/test_spark_cluster.py $(PYTEST_ARGS)

bench-cluster: setup ## Batch test at 1x/10x data, in-process vs a 2-worker cluster, as ratios (~10 min)
	$(PY) bench/cluster.py $(BENCH_ARGS)

compose-check: ## Validate docker-compose.yml without a Docker engine
	docker-compose -f docker-compose.yml config --quiet
	docker-compose -f docker-compose.yml --profile cluster config --quiet

clean: down ## Remove local state (emulator data, local tables); keeps venv and jars
	rm -rf .lakehouse/local .lakehouse/azurite .lakehouse/warehouse
