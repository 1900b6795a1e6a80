# Partnera — the two commands a developer needs: `make run` and `make test`.
#
#   make run     create .venv, install, migrate, load demo data the first time, serve on
#                http://127.0.0.1:$(PARTNERA_PORT) with gunicorn (PARTNERA_PORT, PARTNERA_HOME honoured)
#   make test    install the test tools (and Debian's chromium where missing), compile the
#                translations, run every test (PARTNERA_TEST_DATABASE_URL=postgres://… for PostgreSQL)
#   make lint    ruff check and mypy (must pass); ruff format --check (reported)
#   make bench   run the benchmark scripts in benchmarks/ (100k SQLite; BENCH_PG=1: 1M PostgreSQL)

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PARTNERA_PORT ?= 8000
# Parallel test processes (pytest-xdist); the machine has 2 cores. PYTEST_ARGS adds options.
TEST_PROCESSES ?= 2
PYTEST_ARGS ?=

.PHONY: help run install install-test migrate demo messages chromium pdflibs test lint bench clean

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

# The web app and one job worker (imports, reminders) side by side; Ctrl+C stops both.
run: $(VENV)/.installed pdflibs messages demo
	@$(BIN)/partnera worker --verbosity 0 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  PARTNERA_PORT=$(PARTNERA_PORT) $(BIN)/partnera serve

# Offers and contracts render to PDF through WeasyPrint, which needs Pango and a Cyrillic font.
pdflibs:
	@if ! /sbin/ldconfig -p | grep -q libpangoft2-1.0.so.0 || [ ! -d /usr/share/fonts/truetype/dejavu ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; \
	  else echo "Install Pango and DejaVu (apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core) for PDFs." >&2; fi; \
	fi

# Browser tests drive Debian's chromium (never a downloaded browser build).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; \
	  else echo "Install Debian's chromium (apt-get install chromium fonts-dejavu-core) for the browser tests." >&2; fi; \
	fi

test: $(VENV)/.installed-test pdflibs chromium messages
	$(BIN)/pytest -n $(TEST_PROCESSES) $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	@$(BIN)/ruff format --check . >/dev/null 2>&1 \
	  && echo "ruff format: clean" \
	  || echo "ruff format: $$($(BIN)/ruff format --check . 2>&1 | tail -n 1) (advisory)"
	@$(BIN)/mypy src/partnera >/tmp/partnera-mypy.txt 2>&1 \
	  && echo "mypy: clean" \
	  || { cat /tmp/partnera-mypy.txt; echo "mypy: failed (details above and in /tmp/partnera-mypy.txt)"; exit 1; }

# Every benchmarks/*.py script (common.py is their shared helpers), each printing its figures
# beside a baseline measured in the same run. Default: SQLite in $(BENCH_HOME), 100,000 demo
# companies (generated once, ~½ min). BENCH_PG=1: PostgreSQL at $(BENCH_DATABASE_URL) (created
# when missing) with 1,000,000 companies (demo ~5 min the first time). BENCH_COMPANIES and
# BENCH_REPEAT override the size and the repetitions; BENCH_ONLY=lists runs one script.
BENCH_HOME ?= /tmp/partnera-bench
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/partnera_bench
BENCH_ONLY ?=
bench: $(VENV)/.installed-test
	@shopt -s nullglob; \
	if [ -n "$(BENCH_PG)" ]; then \
	  export PARTNERA_DATABASE_URL="$(BENCH_DATABASE_URL)" BENCH_COMPANIES="$${BENCH_COMPANIES:-1000000}"; \
	else \
	  unset PARTNERA_DATABASE_URL; export PARTNERA_BENCH_HOME="$(BENCH_HOME)" BENCH_COMPANIES="$${BENCH_COMPANIES:-100000}"; \
	fi; \
	scripts=(benchmarks/*$(BENCH_ONLY)*.py); ran=0; \
	for script in "$${scripts[@]}"; do \
	  [ "$$(basename $$script)" = common.py ] && continue; \
	  echo "== $$script ($${PARTNERA_DATABASE_URL:-SQLite in $$PARTNERA_BENCH_HOME}, $$BENCH_COMPANIES companies)"; \
	  $(BIN)/python "$$script" || exit 1; ran=1; \
	done; \
	[ $$ran = 1 ] || echo "No benchmarks matched (benchmarks/*$(BENCH_ONLY)*.py)."

clean:
	rm -rf build dist src/*.egg-info test-artifacts .pytest_cache .ruff_cache .mypy_cache
