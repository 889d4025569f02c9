# Set-up and checks. `make demo` needs only Python; `make test` also installs the pinned
# Solidity compiler and anvil from npm (package-lock.json) and runs every check CI runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck contracts-check slither system-packages bench-gas clean

# Debian packages the tests need: Chromium for the browser tests, CJK fonts so Chinese names
# render in pages and PDFs, Pango for WeasyPrint's PDFs, Poppler's pdftotext to read back what a
# PDF certificate shows. Installed only when missing.
SYSTEM_PACKAGES := chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 poppler-utils

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

test: lint typecheck contracts-check slither system-packages
	$(BIN)/pytest

system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing; \
	fi

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
