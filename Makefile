# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check bench migrate seed-demo demo-inbox demo-mailbox data clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ttx migrate
	$(BIN)/ttx seed-demo --if-empty
	$(BIN)/ttx serve --host 127.0.0.1 --port 8000

# The tests run on TEST_WORKERS processes (pytest-xdist; 0: one process), then those marked
# `serial` run alone (none selected is not a failure). xdist's default scheduling: loadscope
# and loadfile run only one of schemathesis' items, which share one node id.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)
ifneq ($(TEST_WORKERS),0)
	$(BIN)/python -m pytest -p no:xdist -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]
endif

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app
	$(BIN)/lint-imports
	$(BIN)/bandit -c pyproject.toml -r app -q

bench: $(STAMP)
	$(BIN)/python -m bench

migrate: $(STAMP)
	$(BIN)/ttx migrate

seed-demo: $(STAMP)
	$(BIN)/ttx seed-demo

demo-inbox: $(STAMP)
	$(BIN)/ttx demo-inbox

# A local SMTP catcher on 127.0.0.1:8025 that prints each message (README, "E-mail").
demo-mailbox: $(STAMP)
	$(BIN)/ttx demo-mailbox --port 8025

# Rebuild data/ from the official reference files (needs ../shared/reference; not needed to run).
data: $(STAMP)
	$(BIN)/python scripts/build_geodata.py
	$(BIN)/python scripts/build_demo_directory.py

clean:
	rm -rf $(VENV) *.db .pytest_cache .mypy_cache .ruff_cache
