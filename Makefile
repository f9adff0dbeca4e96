# The community learning portal. `make run` serves the demo site, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Finds a Python of at least 3.12: $PYTHON if set, then the usual names (pyenv's
# shims honour .python-version), then any pyenv-installed 3.12+.
define FIND_PYTHON
for candidate in $${PYTHON:-} python3.13 python3.12 python3.14 python3 python; do \
  path=$$(command -v "$$candidate" 2>/dev/null) || continue; \
  "$$path" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null \
    && { "$$path" -c 'import sys; print(sys.executable)'; exit 0; }; \
done; \
for path in $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3; do \
  [ -x "$$path" ] && { echo "$$path"; exit 0; }; \
done; \
exit 1
endef

.PHONY: help run worker test lint format migrate seed clean bench

help:
	@echo "make run   - install, migrate, seed demo data and serve on http://$(HOST):$(PORT), with the task worker"
	@echo "make worker - run the background task worker alone (sends the notification emails)"
	@echo "make test  - install the dev requirements and run the whole test suite"
	@echo "make lint  - ruff check"
	@echo "make bench - HTTP load benchmark: gunicorn (DEBUG off) + wrk on a 10,000-post database (var/bench)"

$(PY):
	@python=$$($(FIND_PYTHON)) || { \
	  echo "No Python 3.12 or newer found. Install one (e.g. 'pyenv install 3.13') or set PYTHON=/path/to/python3.12+." >&2; \
	  exit 1; }; \
	echo "Using $$python ($$($$python --version))"; \
	"$$python" -m venv $(VENV)

$(VENV)/.installed: $(PY) requirements.txt
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# The task worker (notification emails) runs in the background and stops when runserver
# does. --no-reload keeps it one process that stops cleanly: restart after editing tasks.
run: seed
	@echo
	@echo "Serving the portal on http://$(HOST):$(PORT)/  (sign in at http://$(HOST):$(PORT)/accounts/login/)"
	@$(PY) manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: migrate
	$(PY) manage.py db_worker

test: $(VENV)/.installed-dev
	$(PY) -m pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

# Seeds var/bench/bench.sqlite3 (or the database in DATABASE_URL), serves it with gunicorn
# the production way and drives each page with wrk; BENCH_DURATION=seconds per page (10).
bench: $(VENV)/.installed-dev
	$(PY) -m portal.bench

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
