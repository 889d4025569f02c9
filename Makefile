# Set-up and checks. `make demo` needs only Python; `make test` also installs the pinned
# Solidity compiler and anvil from npm (package-lock.json) and runs every check CI runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck contracts-check slither bench-gas clean

$(BIN)/carbon-ledger: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.dev-installed: $(BIN)/carbon-ledger
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

demo: $(BIN)/carbon-ledger
	$(BIN)/carbon-ledger demo

test: lint typecheck contracts-check slither
	$(BIN)/pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

contracts-check: $(VENV)/.dev-installed node_modules/.package-lock.json
	$(BIN)/python -m chain.compile --check

slither: node_modules/.package-lock.json
	scripts/slither.sh

bench-gas: $(VENV)/.dev-installed
	$(BIN)/python bench/gas.py

clean:
	rm -rf $(VENV) .venv-slither node_modules .carbon-ledger .pytest_cache .mypy_cache .ruff_cache
