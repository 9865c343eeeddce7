# Task runner: CI (.ci/run) calls the same targets a person runs.
#   make book       build the HTML book into _build/html (creates .venv if missing)
#   make test       lint, strict book build, then pytest: unit tests, doctests,
#                   nbval over every notebook, browser tests
#   make notebooks  re-execute every notebook in place (the only way outputs change)
#   make sync-url   copy the repository URL from _config.yml into the Colab cells
#   make bench      measure notebook time and memory, and the companion's speed

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# The same quiet environment as companion/session.py (QUIET_ENVIRONMENT), which
# scripts/booktools.py and tests/conftest.py also apply; here it covers the book build.
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0
export PYTHONHASHSEED := 0

.PHONY: help install check-python book build-strict test quick notebooks sync-url bench lint format clean

help:
	@sed -n '2,8p' Makefile

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null || { \
	  echo "error: this book needs Python 3.10 or newer, but '$(PYTHON)' is $$($(PYTHON) --version 2>/dev/null || echo 'not installed')."; \
	  echo "Install Python 3.10+ and run again, or point make at it: make test PYTHON=/path/to/python3.11"; \
	  exit 1; }

$(STAMP): requirements.txt pyproject.toml
	@$(MAKE) --no-print-directory check-python
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then \
	  echo "error: $(VENV) was made with Python older than 3.10; remove it (rm -rf $(VENV)) and run again"; exit 1; fi
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e .
	@touch $(STAMP)

install: $(STAMP)

book: $(STAMP)
	rm -rf _build/html _build/jupyter_execute _build/.doctrees
	$(BIN)/jupyter-book build . --builder html
	@echo "The book is at $(CURDIR)/_build/html/index.html"

# From a clean _build, every warning fails: an incremental build hides old warnings.
build-strict: $(STAMP)
	rm -rf _build
	$(BIN)/jupyter-book build . --builder html -W -n --keep-going
	@echo "Built $(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check companion tests scripts book _ext

format: $(STAMP)
	$(BIN)/ruff format companion tests scripts
	$(BIN)/ruff check --fix companion tests scripts book

test: $(STAMP) lint build-strict
	$(BIN)/python -m pytest

# Quick loop: unit tests only, no notebooks, no browser.
quick: $(STAMP)
	$(BIN)/python -m pytest tests companion -m "not slow and not browser" -q

notebooks: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py

sync-url: $(STAMP)
	$(BIN)/python scripts/sync_repository_url.py

bench: $(STAMP)
	$(BIN)/python scripts/bench_companion.py
	$(BIN)/python scripts/bench_notebooks.py

clean:
	rm -rf _build .pytest_cache .hypothesis
