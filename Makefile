# Every target sets up what it needs: .venv (Python), node_modules (CDK CLI), .venv-checkov (checkov).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
CDK := node_modules/.bin/cdk
ENV ?= dev
# Recorded on training jobs (-c git_sha); CI checks out a commit, so HEAD is what is deployed.
GIT_SHA ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
# Extra flags for cdk deploy, e.g. CDK_DEPLOY_FLAGS="--require-approval never" in CI.
CDK_DEPLOY_FLAGS ?=
WORKFLOWS := .github/workflows
BANDIT_PATHS := app.py config constructs_lib stacks mlops_contracts pipeline_core model_code lambda_functions ops_cli local_loop benchmarks
RUNTIME_REQUIREMENTS := model_code/requirements.txt lambda_functions/requirements.txt ops_cli/requirements.txt

# jsii prints an end-of-life banner on every run under Node 20; the CDK still works there.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade "pip>=24"

$(VENV)/.cdk-installed: requirements.txt constraints.txt | $(VENV)/bin/python
	$(PIP) -r requirements.txt -c constraints.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt constraints.txt $(RUNTIME_REQUIREMENTS) | $(VENV)/bin/python
	$(PIP) -r requirements-dev.txt -c constraints.txt
	@touch $@ $(VENV)/.cdk-installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# checkov pins versions that clash with boto3 and pytest, so it lives in its own environment.
.venv-checkov/.installed: requirements-checkov.txt constraints-checkov.txt
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt -c constraints-checkov.txt
	@touch $@

.PHONY: setup
setup: $(VENV)/.dev-installed node_modules/.installed .venv-checkov/.installed ## Install everything (Python, CDK CLI, checkov)

.PHONY: synth
synth: $(VENV)/.cdk-installed node_modules/.installed ## Synthesize every environment into cdk.out (no Docker, no AWS account needed)
	$(CDK) synth '**' --quiet --no-notices
	@echo "Templates in cdk.out:"; ls cdk.out/assembly-*/*.template.json

.PHONY: synth-with-models
synth-with-models: $(VENV)/.cdk-installed node_modules/.installed ## Synthesize every environment as if model packages were approved (example ARNs, offline)
	$(CDK) synth '**' --quiet --no-notices -c serving_example_models=true -o cdk.out.with-models
	@echo "Templates in cdk.out.with-models:"; ls cdk.out.with-models/assembly-*/*.template.json

.PHONY: demo
demo: $(VENV)/.dev-installed node_modules/.installed ## The platform's loop on this machine (moto stands in for AWS; synthesizes first if needed)
	@test -f cdk.out/manifest.json || $(MAKE) synth
	$(PY) -m local_loop

.PHONY: test
test: setup ## Run the whole test suite
	$(PY) -m pytest

.PHONY: lint
lint: $(VENV)/.dev-installed ## ruff (lint + format check), mypy, bandit and the workflow linters
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy config constructs_lib stacks mlops_contracts pipeline_core model_code lambda_functions ops_cli local_loop app.py
	$(VENV)/bin/bandit --quiet -c pyproject.toml -r $(BANDIT_PATHS)
	$(MAKE) --no-print-directory lint-workflows

.PHONY: lint-workflows
lint-workflows: $(VENV)/.dev-installed ## zizmor and jactionlint (with shellcheck) over .github/workflows, offline
	$(VENV)/bin/zizmor --offline --no-progress $(WORKFLOWS)
	PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/jactionlint --no-online $(WORKFLOWS)/*.yml

.PHONY: scan
scan: .venv-checkov/.installed $(VENV)/.dev-installed ## checkov over the templates in cdk.out (run make synth first), hadolint over the Dockerfile
	@ls cdk.out/assembly-*/*.template.json >/dev/null || { echo "no templates in cdk.out: run make synth first"; exit 1; }
	.venv-checkov/bin/checkov --directory cdk.out --framework cloudformation --compact --quiet --skip-download
	$(VENV)/bin/hadolint model_code/Dockerfile

.PHONY: format
format: $(VENV)/.dev-installed ## Format and auto-fix with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

.PHONY: snapshot-update
snapshot-update: setup ## Accept the current templates as the new snapshots (review the diff!)
	$(PY) -m pytest tests/infra --snapshot-update

.PHONY: bench-drift
bench-drift: $(VENV)/.dev-installed ## Drift score on ../shared/data: false alarms, power, time per window, 1M capture records
	$(PY) benchmarks/drift_benchmark.py

.PHONY: bench-accuracy
bench-accuracy: $(VENV)/.dev-installed ## Train on ../shared/data SST-2, print dev accuracy, train time, predict latency
	$(PY) benchmarks/accuracy_benchmark.py

.PHONY: bench-model-speed
bench-model-speed: $(VENV)/.dev-installed ## Model of before vs the default: train/inference CLIs on SST-2 + UCI, predict cost per batch size
	$(PY) benchmarks/model_speed_benchmark.py

.PHONY: bench-load
bench-load: $(VENV)/.dev-installed ## Load-test the server against a gunicorn+Flask reference with wrk (apt-get install wrk)
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk"; exit 1; }
	$(PIP) -r benchmarks/requirements.txt -c constraints.txt
	$(PY) benchmarks/load_benchmark.py

.PHONY: bootstrap
bootstrap: $(VENV)/.cdk-installed node_modules/.installed ## cdk bootstrap the account/region of your AWS profile
	$(CDK) bootstrap --no-notices

.PHONY: deploy
deploy: $(VENV)/.cdk-installed node_modules/.installed ## Deploy one environment: make deploy ENV=dev (builds the model image: needs Docker)
	$(CDK) deploy '$(ENV)/*' -c environments=$(ENV) -c git_sha=$(GIT_SHA) --no-notices $(CDK_DEPLOY_FLAGS)

.PHONY: smoke-test
smoke-test: $(VENV)/.cdk-installed ## Smoke-test a deployed endpoint (make smoke-test ENV=staging) or a local server (URL=http://127.0.0.1:8080)
	$(PIP) -r ops_cli/requirements.txt -c constraints.txt
	$(PY) -m ops_cli.smoke_test $(if $(URL),--url $(URL),--env $(ENV))

.PHONY: bootstrap-github
bootstrap-github: $(VENV)/.cdk-installed node_modules/.installed ## Deploy the GitHub OIDC provider and deploy roles (set config/delivery.py first)
	$(CDK) deploy 'GithubOidc*' --no-notices

.PHONY: deploy-pipeline
deploy-pipeline: $(VENV)/.cdk-installed node_modules/.installed ## Deploy the self-mutating CDK pipeline (needs delivery.connection_arn)
	$(CDK) deploy Pipeline --no-notices

.PHONY: diff
diff: $(VENV)/.cdk-installed node_modules/.installed ## Show what a deploy would change: make diff ENV=staging
	$(CDK) diff '$(ENV)/*' -c environments=$(ENV) --no-notices

.PHONY: lock
lock: ## Re-resolve constraints.txt from the requirement ranges (in a throw-away venv)
	rm -rf /tmp/mlops-lock && $(PYTHON) -m venv /tmp/mlops-lock
	/tmp/mlops-lock/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	/tmp/mlops-lock/bin/python -m pip freeze --exclude-editable | sort -f > constraints.txt
	$(MAKE) image-lock

.PHONY: image-lock
image-lock: $(VENV)/.dev-installed ## Pin the model image's requirements to constraints.txt, with hashes (asks PyPI)
	cd model_code && ../$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --no-header -c ../constraints.txt \
		--output-file requirements.lock requirements.txt

.PHONY: clean
clean: ## Remove cdk.out and caches (keeps the environments)
	rm -rf cdk.out .pytest_cache .ruff_cache .mypy_cache
