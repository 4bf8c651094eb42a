# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make demo   install, start the embedded stack, run the pipeline end to end
#   make test   install, check the template, lint, and run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
export SAM_CLI_TELEMETRY = 0

.PHONY: demo test lint template-check unit e2e bench spike faults openapi screenshots chromium clean build

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=python3.x)")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade "pip>=25.1"

# What the demo needs: the SDK (with its dashboard) and the backend with its local stack.
$(VENV)/.runtime: $(BIN)/python inspection/pyproject.toml sdk/pyproject.toml backend/pyproject.toml
	$(PIP) -e ./inspection -e "./sdk[dashboard]" -e "./backend[local]"
	@touch $@

# Plus what the tests and checks need (pyproject.toml's dependency groups).
$(VENV)/.dev: $(VENV)/.runtime pyproject.toml
	$(PIP) --group test --group lint
	@touch $@

# checkov (pyproject's checkov group) in a virtualenv of its own: its pins clash with ours.
CHECKOV_VENV := $(VENV)/checkov
$(CHECKOV_VENV)/.installed: $(BIN)/python pyproject.toml
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=25.1"
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --group checkov
	@touch $@

demo: $(VENV)/.runtime
	$(BIN)/python examples/demo.py

test: $(VENV)/.dev chromium template-check lint
	$(BIN)/pytest --numprocesses auto --dist loadfile

# The dashboard's browser tests drive Debian's Chromium through Playwright (Playwright's
# own browser download needs a host the machine may not reach).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
chromium:
	@if [ -x "$(CHROMIUM)" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the dashboard's browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "The dashboard's browser tests need Chromium at $(CHROMIUM)."; \
		echo "Install it (sudo apt-get install chromium), or point CHROMIUM=/path/to/chromium at one."; \
		exit 1; \
	fi

# Offline: checkov neither downloads policy metadata (--skip-download, BC_SKIP_MAPPING) nor
# asks PyPI for a newer version (CKV_SKIP_PACKAGE_UPDATE_CHECK). A check that does not
# fit is skipped in template.yaml itself, with its reason.
template-check: $(VENV)/.dev $(CHECKOV_VENV)/.installed
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --region us-east-1
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov --file template.yaml \
		--framework cloudformation --skip-download --compact --quiet

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy inspection/scalper_inspection sdk/silent_scalper backend/scalper_backend
	$(BIN)/bandit -r inspection sdk backend --severity-level medium

unit: $(VENV)/.dev
	$(BIN)/pytest -m "not e2e"

e2e: $(VENV)/.dev chromium
	$(BIN)/pytest -m e2e

bench: $(VENV)/.dev
	$(BIN)/python bench/processor.py
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/bulk_upload.py
	$(BIN)/python bench/large_upload.py
	$(BIN)/python bench/spike.py
	$(BIN)/python bench/faults.py

# The load benchmarks alone: a 10,000-file spike (SPIKE_FLAGS=--files 1000 for a shorter
# one), and each injected fault against a burst of files.
spike: $(VENV)/.dev
	$(BIN)/python bench/spike.py $(SPIKE_FLAGS)

faults: $(VENV)/.dev
	$(BIN)/python bench/faults.py $(FAULTS_FLAGS)

# The Lambda package. `sam build` runs `make build-<LogicalId>` for every function
# (template.yaml: BuildMethod makefile) with ARTIFACTS_DIR set: the backend, its partner
# rules and the shared inspection package, with their dependencies resolved together
# for the Lambda platform (CPython 3.12, x86_64) from binary wheels only.
LAMBDA_PLATFORM := --platform manylinux2014_x86_64 --implementation cp --python-version 3.12 --only-binary=:all:
build-%:
	$(PYTHON) -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$(ARTIFACTS_DIR)/.wheels" ./inspection
	$(PYTHON) -m pip install --quiet --disable-pip-version-check $(LAMBDA_PLATFORM) --target "$(ARTIFACTS_DIR)" \
		-r backend/requirements.txt "$(ARTIFACTS_DIR)"/.wheels/scalper_inspection-*.whl
	rm -rf "$(ARTIFACTS_DIR)/.wheels"
	cp -R backend/scalper_backend backend/rules "$(ARTIFACTS_DIR)/"
	# The embedded local stack (moto, workers, injected faults) never runs on Lambda.
	rm -rf "$(ARTIFACTS_DIR)/scalper_backend/local"
	find "$(ARTIFACTS_DIR)/scalper_backend" -name __pycache__ -prune -exec rm -rf {} +

build: $(VENV)/.dev
	$(BIN)/sam build --build-dir .aws-sam/build

# PNGs of the dashboard for docs/dashboard.md: a local stack, example files, Chromium.
screenshots: $(VENV)/.dev chromium
	PYTHONPATH=tests $(BIN)/python -m support.screenshots docs/img

openapi: $(VENV)/.runtime
	$(BIN)/python -m scalper_backend.api.openapi > docs/openapi.json

clean:
	rm -rf $(VENV) .aws-sam
