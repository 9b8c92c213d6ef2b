# Two commands do all set-up on a fresh machine:
#   make demo   - create .venv, install gapgates from the lock, run the bundled demo
#   make test   - create .venv, install gapgates with its test extras from the lock, run the test suite
# Both install the exact versions of requirements.lock, so a new upstream release cannot break them.
# The suite is in three tiers: make test-fast (tests/unit), make test-integration, make test-e2e.
# Tests run on one pytest-xdist worker per CPU this process may use (its affinity and CPU quota: tests/conftest.py); TEST_WORKERS=0 runs them in this process (e.g. to debug one).
# make test-latest runs the suite on the newest releases pyproject.toml allows (in .venv-latest; not part of CI).
# make docs builds the documentation site (docs/, mkdocs --strict).
# make lock refreshes requirements.lock from pyproject.toml (see docs/contributing.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
# The installer itself is pinned too: a new pip release is an upstream release like any other.
PIP_VERSION := 26.3
EXTRAS := dev,mlflow,prefect,dask,bench,docs
LATEST_VENV := .venv-latest
TEST_WORKERS ?= logical
# worksteal: a worker that runs out of tests takes queued ones from the other, so one long e2e test ends the run alone
XDIST = -n $(TEST_WORKERS) --dist worksteal

.PHONY: install install-dev demo test test-fast test-integration test-e2e test-latest lint typecheck docs lock bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "pip==$(PIP_VERSION)"

# The library, its CLI, the Prefect flows and MLflow: what the docs' examples use.
$(VENV)/.installed-user: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) --build-constraint $(LOCK) -e ".[mlflow,prefect]"
	touch $@

# Everything the test suite and the linters need.
$(VENV)/.installed-dev: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) --build-constraint $(LOCK) -e ".[$(EXTRAS)]"
	touch $(VENV)/.installed-user $@

install: $(VENV)/.installed-user

install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/gapgates demo --out demo-report

test: install-dev
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

test-fast: install-dev
	$(BIN)/python -m pytest $(XDIST) tests/unit $(PYTEST_ARGS)

test-integration: install-dev
	$(BIN)/python -m pytest $(XDIST) tests/integration $(PYTEST_ARGS)

test-e2e: install-dev
	$(BIN)/python -m pytest $(XDIST) tests/e2e $(PYTEST_ARGS)

# The newest releases the declared ranges allow, in their own venv; the versions that differ from the lock are
# printed first. GAPGATES_UNLOCKED tells the dependency guard that versions outside the lock are the point here.
test-latest:
	rm -rf $(LATEST_VENV)
	$(PYTHON) -m venv $(LATEST_VENV)
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LATEST_VENV)/bin/python -m pip install --quiet --upgrade -e ".[$(EXTRAS)]"
	$(LATEST_VENV)/bin/python -m tests.lock $(LOCK)
	GAPGATES_UNLOCKED=1 $(LATEST_VENV)/bin/python -m pytest $(XDIST) $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check gapgates flows deployments tests benchmarks docs/hooks docs/screenshots.py
	$(BIN)/ruff format --check gapgates flows deployments tests benchmarks docs/hooks docs/screenshots.py

typecheck: install-dev
	$(BIN)/mypy

# The documentation site (mkdocs.yml, docs/): any warning fails, a broken link or anchor among them. Output in site/.
docs: install-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# uv from the lock. uv keeps the pins of the existing output file as preferences: `make lock` adds what pyproject.toml
# newly declares and moves a pin only where a declared range excludes it; `make lock UPGRADE=--upgrade` takes the newest
# releases the ranges allow.
UPGRADE ?=
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(LOCK) uv
	$(BIN)/uv pip compile pyproject.toml --universal --extra $(subst $(comma), --extra ,$(EXTRAS)) \
		--quiet $(UPGRADE) --output-file $(LOCK)

bench: install-dev
	$(BIN)/python benchmarks/bench_perf.py

clean:
	rm -rf $(VENV) $(LATEST_VENV) demo-report site .pytest_cache .mypy_cache

comma := ,
