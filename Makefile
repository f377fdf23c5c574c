# badgeflow: every set-up step lives here. `make demo` and `make test` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Local runs skip the slow (end-to-end, Node verifier) and PostgreSQL tests; CI runs all.
ifeq ($(CI),true)
PYTEST_MARKERS ?=
else
PYTEST_MARKERS ?= -m "not slow and not postgres"
endif

# Two pytest-xdist workers (the 2-core CI machine), each test file on one worker (its module
# fixtures are built once); each worker has its own PostgreSQL database (tests/conftest.py).
# PYTEST_WORKERS= runs serially.
PYTEST_WORKERS ?= -n 2 --dist loadfile

.PHONY: install demo test test-all check lint coverage bench bench-e2e deploy lock clean

$(INSTALLED): pyproject.toml requirements/lock.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "badgeflow needs Python 3.11, found " + sys.version' \
		|| { echo "Set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "pip==26.3"
	$(BIN)/python -m pip install --quiet -c requirements/lock.txt -e ".[dev]"
	touch $@

install: $(INSTALLED)  ## Create .venv and install badgeflow with its pinned dependencies

demo: install  ## Run the nightly issuance flow on the bundled demo data (see README)
	$(BIN)/badgeflow demo

test: install  ## Run the tests (CI=true also runs the slow and PostgreSQL ones)
	$(BIN)/python -m pytest $(PYTEST_WORKERS) $(PYTEST_MARKERS) $(PYTEST_ARGS)

test-all: install  ## Run every test, as CI does
	$(MAKE) test CI=true

check: install  ## Formatting, lint and strict typing
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

lint: install  ## Fix what ruff can fix
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install  ## Throughput benchmarks (bench/README.md)
	$(BIN)/python -m bench.run

bench-e2e: install  ## Only the end-to-end benchmark: a nightly batch of 100,000 completions
	$(BIN)/python -m bench.e2e_bench $(E2E_ARGS)

deploy: install  ## Work pool, SMTP concurrency limit, then every deployment in prefect.yaml (PREFECT_API_URL)
	$(BIN)/python -m flows._deploy $(DEPLOY_ARGS)

lock: install  ## Re-pin requirements/lock.txt from the current .venv
	{ echo "# Full resolved dependency set (runtime + dev), pinned with ==. Regenerate with 'make lock'."; \
	  echo "# Applied as pip constraints by 'make install'; names no package index."; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v -i '^badgeflow' | sort -f; } > requirements/lock.txt

clean:  ## Remove local state (database, keys, site, outbox) under ./var
	rm -rf var

.PHONY: site-js
site-js:  ## Rebuild the committed in-browser verifier bundle from site-js/ (needs Node 20+, npm)
	cd site-js && npm ci --no-audit --no-fund
	node site-js/build.mjs
