# Partnera — the two commands a developer needs: `make run` and `make test`.
#
#   make run     create .venv, install, migrate, load demo data the first time, serve on
#                http://127.0.0.1:$(PARTNERA_PORT) with gunicorn (PARTNERA_PORT, PARTNERA_HOME honoured)
#   make test    install the test tools (and Debian's chromium where missing), compile the
#                translations, run every test (PARTNERA_TEST_DATABASE_URL=postgres://… for PostgreSQL)
#   make lint    ruff check and mypy (must pass); ruff format --check (reported)
#   make bench   run the benchmark scripts in benchmarks/

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PARTNERA_PORT ?= 8000
# Parallel test processes (pytest-xdist); the machine has 2 cores. PYTEST_ARGS adds options.
TEST_PROCESSES ?= 2
PYTEST_ARGS ?=

.PHONY: help run install install-test migrate demo messages chromium test lint bench clean

help:
	@sed -n '2,9p' Makefile | sed 's/^# \{0,1\}//'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installed again whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Compile the .po translations (a no-op until there are any). Needs gettext's msgfmt.
messages: $(VENV)/.installed
	@if find src/partnera -name '*.po' -path '*LC_MESSAGES*' | grep -q .; then \
	  if ! command -v msgfmt >/dev/null; then \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; \
	    else echo "msgfmt (Debian package gettext) is missing: translations are not compiled." >&2; exit 0; fi; \
	  fi; \
	  cd src/partnera && $(abspath $(BIN))/django-admin compilemessages --verbosity 0; \
	fi

migrate: $(VENV)/.installed
	$(BIN)/partnera migrate --no-input --verbosity 1

# Demo data only into a database without users; afterwards just the logins are printed.
demo: migrate
	$(BIN)/partnera demo --if-empty

run: $(VENV)/.installed messages demo
	PARTNERA_PORT=$(PARTNERA_PORT) $(BIN)/partnera serve

# Browser tests drive Debian's chromium (never a downloaded browser build).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; \
	  else echo "Install Debian's chromium (apt-get install chromium fonts-dejavu-core) for the browser tests." >&2; fi; \
	fi

test: $(VENV)/.installed-test chromium messages
	$(BIN)/pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	@$(BIN)/ruff format --check . >/dev/null 2>&1 \
	  && echo "ruff format: clean" \
	  || echo "ruff format: $$($(BIN)/ruff format --check . 2>&1 | tail -n 1) (advisory)"
	@$(BIN)/mypy src/partnera >/tmp/partnera-mypy.txt 2>&1 \
	  && echo "mypy: clean" \
	  || { cat /tmp/partnera-mypy.txt; echo "mypy: failed (details above and in /tmp/partnera-mypy.txt)"; exit 1; }

bench: $(VENV)/.installed-test
	@shopt -s nullglob; scripts=(benchmarks/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "No benchmarks yet (benchmarks/*.py)."; fi; \
	for script in "$${scripts[@]}"; do echo "== $$script"; $(BIN)/python "$$script" || exit 1; done

clean:
	rm -rf build dist src/*.egg-info test-artifacts .pytest_cache .ruff_cache .mypy_cache
