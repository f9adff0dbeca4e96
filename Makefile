# The community learning portal. `make run` serves the demo site, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The address in the links of emails and of seed_demo's output (the worker has no request to take
# it from): this server's, passed to the server, the worker and seed_demo. PORTAL_BASE_URL=... wins.
PORTAL_BASE_URL ?= http://$(HOST):$(PORT)

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

.PHONY: help run worker test lint format migrate seed clean bench screenshots messages makemessages scale-demo backup restore faults

help:
	@echo "make run         - install, migrate, seed the demo data and serve on http://$(HOST):$(PORT), with the task worker"
	@echo "make test        - install the dev requirements and run the whole test suite (prints the ten slowest tests)"
	@echo "make lint        - ruff check, ruff format --check and the layers contract (lint-imports)"
	@echo "make format      - ruff format the whole tree"
	@echo "make migrate     - install the requirements and apply the migrations"
	@echo "make seed        - migrate, then load the demo data (idempotent)"
	@echo "make worker      - run the background task worker alone (sends the notification emails)"
	@echo "make messages    - compile the translation catalogs (locale/*/LC_MESSAGES/*.mo; needs GNU gettext)"
	@echo "make makemessages - update locale/es/LC_MESSAGES/django.po from the code and templates"
	@echo "make backup      - back up the database and media files to var/backups/ (FILE=path to choose the file)"
	@echo "make restore FILE=path - restore a backup made by make backup (replaces the data: asks first)"
	@echo "make bench       - HTTP load benchmark: gunicorn (DEBUG off) + wrk on a 10,000-post database (var/bench)"
	@echo "make screenshots - every page type at 1280 px and 375 px (light theme) into var/screenshots/ (needs Chromium)"
	@echo "make scale-demo  - two gunicorn servers + two task workers on PostgreSQL and Redis: sessions, cache, tasks"
	@echo "make faults      - the fault suite: kills and stops Redis, PostgreSQL, workers and SMTP of its own under load (root)"
	@echo "make clean       - remove the virtualenv, var/ (the SQLite database, media, bench data) and tool caches"

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
	PORTAL_BASE_URL='$(PORTAL_BASE_URL)' $(PY) manage.py seed_demo

# The task worker (notification emails) runs in the background and stops when runserver
# does. --no-reload keeps it one process that stops cleanly: restart after editing tasks.
run: seed messages
	@echo
	@echo "Serving the portal on http://$(HOST):$(PORT)/  (sign in at http://$(HOST):$(PORT)/accounts/login/)"
	@PORTAL_BASE_URL='$(PORTAL_BASE_URL)' $(PY) manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	PORTAL_BASE_URL='$(PORTAL_BASE_URL)' $(PY) manage.py runserver $(HOST):$(PORT)

# Translations: the .po catalogs in locale/ are the source (committed); the compiled .mo
# files are built here from them (git-ignored). msgfmt comes with GNU gettext: installed with
# apt-get when run as root on Debian/Ubuntu, otherwise the build says how to install it.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

messages: $(MO_FILES)

locale/%.mo: locale/%.po
	@command -v msgfmt >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "msgfmt (GNU gettext) is not installed: installing it with apt-get (Debian package 'gettext')..."; \
	    apt-get install -y -qq gettext >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext >/dev/null; }; \
	  fi; \
	  command -v msgfmt >/dev/null 2>&1 || { \
	    echo "msgfmt is needed to build the translation catalogs: install GNU gettext" >&2; \
	    echo "(Debian/Ubuntu: 'sudo apt-get install gettext'; macOS: 'brew install gettext')." >&2; \
	    exit 1; }; }
	msgfmt --check-format -o $@ $<

makemessages: $(VENV)/.installed
	$(PY) manage.py makemessages -l es --no-obsolete --ignore=.venv --ignore=var --ignore=node_modules

worker: migrate
	PORTAL_BASE_URL='$(PORTAL_BASE_URL)' $(PY) manage.py db_worker

# Backups of the database in DATABASE_URL (SQLite online backup, or pg_dump) and MEDIA_ROOT.
backup: $(VENV)/.installed
	$(PY) manage.py backup $(FILE)

restore: $(VENV)/.installed
	@[ -n "$(FILE)" ] || { echo "Usage: make restore FILE=var/backups/portal-<timestamp>.sqlite3 (or .dump)" >&2; exit 1; }
	$(PY) manage.py restore "$(FILE)"

# The suite on every core (pytest-xdist); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
test: $(VENV)/.installed-dev messages
	$(PY) -m pytest -n $(TEST_WORKERS) --durations=10

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# Seeds var/bench/bench.sqlite3 (or the database in DATABASE_URL), serves it with gunicorn
# the production way and drives each page with wrk; BENCH_DURATION=seconds per page (10).
# Page images for people to look at: portal/tests/browser/screenshots.py (demo content, Chromium).
screenshots: $(VENV)/.installed-dev
	CI_REQUIRE_BROWSER=1 $(PY) -m pytest portal/tests/browser/screenshots.py -m screenshots -q -p no:cacheprovider

bench: $(VENV)/.installed-dev
	$(PY) -m portal.bench

# Two app servers and two db_workers on one PostgreSQL (database portal_scale, recreated) and one
# Redis (SCALE_REDIS_URL, default db 14); see portal/scale_check.py. Needs both services running.
scale-demo: $(VENV)/.installed
	$(PY) -m portal.scale_check

# The fault suite (portal/tests/faults/fault_suite.py): its own PostgreSQL cluster (pg_createcluster, so
# root), Redis, SMTP server, gunicorn and db_worker, each made to fail; prints a table of what happened.
faults: $(VENV)/.installed-dev
	$(PY) -m pytest portal/tests/faults/fault_suite.py -m faults -s -p no:cacheprovider

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis .import_linter_cache
