# Two commands do all set-up on a fresh machine:
#   make demo   - create .venv, install gapgates, run the bundled demo
#   make test   - create .venv, install gapgates with test extras, run the test suite
# The suite is in three tiers: make test-fast (tests/unit, under a minute), make test-integration, make test-e2e.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test test-fast test-integration test-e2e lint bench clean

$(BIN)/gapgates: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,mlflow]"
	touch $@

install: $(BIN)/gapgates

demo: install
	$(BIN)/gapgates demo --out demo-report

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

test-integration: install
	$(BIN)/python -m pytest tests/integration $(PYTEST_ARGS)

test-e2e: install
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check gapgates flows deployments tests benchmarks

bench: install
	$(BIN)/python benchmarks/bench_perf.py

clean:
	rm -rf $(VENV) demo-report .pytest_cache
