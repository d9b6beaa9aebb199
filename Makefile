# ParkGrid: `make run` serves the demo, `make test` runs the whole suite.
# Both set everything up from scratch on a fresh machine (Python 3.11, pip, npm).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HTMX_VERSION := 2.0.10
PORT ?= 8000
export PORT

.PHONY: run test bench load load-ci setup lint messages clean

run: setup
	$(BIN)/parkgrid migrate
	$(BIN)/parkgrid demo --if-empty
	$(BIN)/parkgrid serve

# ruff reads only the Python files git tracks, so an untracked stray script cannot fail
# make test; of those, the ones in the working tree (a file being moved may be gone).
# --force-exclude keeps pyproject's excludes for files named one by one.
TRACKED_PY = git ls-files -z -- '*.py' | xargs -0 -r stat --printf '%n\0' 2>/dev/null
RUFF_CHECK = $(TRACKED_PY) | xargs -0 -r $(BIN)/ruff check --force-exclude
RUFF_FORMAT = $(TRACKED_PY) | xargs -0 -r $(BIN)/ruff format --check --force-exclude

# The suite on TEST_WORKERS processes (pytest-xdist), each with a database of its own
# (tests/conftest.py); a file's tests stay on one worker, so its module fixtures (a
# province of 2,000 parks, a backup source, the browser's live server) are built once.
# Two workers on this 2-core machine measured fastest.
TEST_WORKERS ?= 2
# When make started, so that the time printed at the end includes the set-up.
TEST_STARTED := $(shell date +%s)

PYTEST_RUN = $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

# Lint, then the suite; the wall time is printed whether they pass or fail.
test: setup
	@status=0; \
	echo "ruff check, ruff format --check: the Python files git tracks"; \
	{ $(RUFF_CHECK) && $(RUFF_FORMAT) && $(BIN)/lint-imports \
	  && echo "$(PYTEST_RUN)" && $(PYTEST_RUN); } \
	  || status=$$?; \
	took=$$(( $$(date +%s) - $(TEST_STARTED) )); \
	echo "make test: $$((took / 60)) min $$((took % 60)) s"; \
	exit $$status

# Speed and memory figures, printed (never asserted by timed tests).
bench: setup
	$(BIN)/python -m tests.bench.dashboards
	$(BIN)/python -m tests.bench.import_rows
	$(BIN)/python -m tests.bench.scale

# The bounded load test (Locust, headless) against a real server: the figures are printed,
# and it fails on any 5xx, connection error or lost write. SQLite, then PostgreSQL too when
# PARKGRID_LOAD_PG_URL names a database it may empty. USERS, SECONDS, WORKERS override.
# SQLite is served by one process (its one write lock is queued within a process);
# PostgreSQL as in production, by PG_WORKERS processes behind one port.
USERS ?= 50
SECONDS ?= 60
WORKERS ?= 1
PG_WORKERS ?= 2
LOAD = $(BIN)/python -m tests.load.run --users $(USERS) --seconds $(SECONDS)

# Both engines run even when the first fails, so one run shows both sets of figures.
load: setup
	@status=0; \
	PARKGRID_LOAD_DATABASE_URL= $(LOAD) --workers $(WORKERS) || status=1; \
	if [ -n "$$PARKGRID_LOAD_PG_URL" ]; then \
	  $(LOAD) --workers $(PG_WORKERS) --database-url "$$PARKGRID_LOAD_PG_URL" || status=1; \
	fi; \
	exit $$status

# A short run for CI, on the database PARKGRID_LOAD_DATABASE_URL names (else SQLite).
load-ci: setup
	@if [ -n "$$PARKGRID_LOAD_DATABASE_URL" ]; then workers=$(PG_WORKERS); else workers=$(WORKERS); fi; \
	$(BIN)/python -m tests.load.run --users 20 --seconds 20 --workers $$workers

setup: $(VENV)/.installed static/vendor/htmx.min.js static/vendor/plotly/plotly.min.js.br

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# htmx comes from the npm registry at a pinned version; it is never committed.
static/vendor/htmx.min.js: Makefile
	mkdir -p static/vendor var/npm
	cd var/npm && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null
	tar -xzf var/npm/htmx.org-$(HTMX_VERSION).tgz -C var/npm package/dist/htmx.min.js
	cp var/npm/package/dist/htmx.min.js $@

# plotly.js built from the npm registry's package (pinned in tools/plotly) with only the trace
# types the charts draw, and both scripts pre-compressed (brotli, gzip).
static/vendor/plotly/plotly.min.js.br: $(VENV)/.installed static/vendor/htmx.min.js \
		tools/plotly/build.sh tools/plotly/build.mjs tools/plotly/index.js \
		tools/plotly/package.json tools/plotly/package-lock.json
	sh tools/plotly/build.sh static/vendor/plotly
	$(BIN)/python -m app.core.assets

lint: setup
	$(RUFF_CHECK)
	$(RUFF_FORMAT)
	$(BIN)/lint-imports

# Re-extracts the interface's messages and merges them into the Chinese catalogue.
messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --ignore-dirs '.*' -o var/messages.pot .
	$(BIN)/pybabel update -i var/messages.pot -d app/locale -l zh_CN --no-location --width 100

clean:
	rm -rf $(VENV) static/vendor var/npm
