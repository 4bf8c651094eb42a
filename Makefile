# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make demo   install, start the embedded stack, run the pipeline end to end
#   make test   install, check the template, lint, and run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
export SAM_CLI_TELEMETRY = 0

.PHONY: demo test lint template-check unit e2e bench openapi clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=python3.x)")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade "pip>=25.1"

# What the demo needs: the SDK and the backend with its local stack.
$(VENV)/.runtime: $(BIN)/python sdk/pyproject.toml backend/pyproject.toml
	$(PIP) -e ./sdk -e "./backend[local]"
	@touch $@

# Plus what the tests and checks need (pyproject.toml's dependency groups).
$(VENV)/.dev: $(VENV)/.runtime pyproject.toml
	$(PIP) --group test --group lint
	@touch $@

demo: $(VENV)/.runtime
	$(BIN)/python examples/demo.py

test: $(VENV)/.dev template-check lint
	$(BIN)/pytest

template-check: $(VENV)/.dev
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --region us-east-1

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/mypy sdk/silent_scalper backend/scalper_backend

unit: $(VENV)/.dev
	$(BIN)/pytest -m "not e2e"

e2e: $(VENV)/.dev
	$(BIN)/pytest -m e2e

bench: $(VENV)/.runtime
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/bulk_upload.py
	$(BIN)/python bench/large_upload.py

openapi: $(VENV)/.runtime
	$(BIN)/python -m scalper_backend.api.openapi > docs/openapi.json

clean:
	rm -rf $(VENV) .aws-sam
