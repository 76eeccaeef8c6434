# corespond: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin

.PHONY: demo test lint format clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed  ## migrate, load the demo county, print logins, serve on HOST:PORT
	$(BIN)/corespond demo --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test  ## the whole suite on SQLite, then on PostgreSQL
	$(BIN)/python scripts/run_tests.py

lint: $(VENV)/.installed-test  ## ruff, ruff format --check, mypy, migrations check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy corespond tests scripts benchmarks
	CORESPOND_DATA_DIR=$$(mktemp -d) $(BIN)/corespond manage makemigrations --check --dry-run

format: $(VENV)/.installed-test  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:  ## remove the virtualenv (your data in ./var stays)
	rm -rf $(VENV)
