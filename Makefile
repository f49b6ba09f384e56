# CannaRewards: `make run` serves the demo on the embedded default; `make test` runs everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
HOST ?= 127.0.0.1
# The app builds its claim URLs from PORT (PUBLIC_URL's default), so it sees the same value.
export PORT

.PHONY: run demo test lint services browser worker screenshots bench fuzz faults clean \
	catalogues translations

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Migrate, load the demo into an empty database, and print its accounts and claim URLs.
demo: $(VENV)/.runtime
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty

run: demo
	$(FLASK) run --host $(HOST) --port $(PORT)

worker: $(VENV)/.runtime
	$(BIN)/python worker.py

# MariaDB and Redis must answer before the suite starts; start them when they don't.
services:
	@if ! mariadb-admin --host=127.0.0.1 --user=root ping >/dev/null 2>&1; then \
	  echo "starting MariaDB"; \
	  start-stop-daemon --start --oknodo --background --exec "$$(command -v mariadbd)"; \
	fi
	@for i in $$(seq 1 60); do \
	  mariadb-admin --host=127.0.0.1 --user=root ping >/dev/null 2>&1 && break; sleep 1; \
	done; mariadb-admin --host=127.0.0.1 --user=root ping
	@if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then \
	  echo "starting Redis"; \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; \
	fi
	@for i in $$(seq 1 30); do \
	  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; \
	done; redis-cli -h 127.0.0.1 -p 6379 ping

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(VENV)/.dev services browser lint
	$(BIN)/pytest
	TEST_ENGINE=sqlite $(BIN)/pytest -m sqlite_ok

# The long, unseeded fuzz run: FUZZ_EXAMPLES requests per identity and webhook deliveries.
FUZZ_EXAMPLES ?= 5000
fuzz: $(VENV)/.dev services
	FUZZ_RANDOM=1 FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q tests/fuzz

# 360x740 screenshots of the main pages, kept in docs/screenshots/ (two also in the manifest).
screenshots: $(VENV)/.dev services browser
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest -q -m e2e tests/e2e/test_screenshots.py
	cp docs/screenshots/dashboard-points.png static/screenshots/dashboard.png
	cp docs/screenshots/rewards.png static/screenshots/rewards.png

# Member-facing text: extract the marked strings, merge them into the es and fr_CA catalogues
# (translate the new msgstr entries), then compile the .mo files, which are committed.
CATALOGUES := webapp/translations
catalogues: $(VENV)/.runtime
	$(BIN)/pybabel extract --mapping-file babel.cfg --ignore-dirs admin --keywords _l \
	  --keywords lazy_gettext --no-location --sort-output --omit-header \
	  --output-file $(CATALOGUES)/messages.pot .
	$(BIN)/pybabel update --input-file $(CATALOGUES)/messages.pot --output-dir $(CATALOGUES) \
	  --no-fuzzy-matching --no-wrap

translations: $(VENV)/.runtime
	$(BIN)/pybabel compile --directory $(CATALOGUES) --statistics

# The whole stack over HTTP (gunicorn, RQ worker, fake Customer.io, MariaDB, Redis) on the
# full data set, each endpoint a ratio to the floor; then the outbox worker alone. A small run
# of the first is in the suite (tests/performance/test_bench_smoke.py).
bench: $(VENV)/.dev services
	$(BIN)/python bench/stack.py
	$(BIN)/python bench/outbox.py

# The fault scenarios, each on private services of its own on 127.0.0.1 (a second
# redis-server and mariadbd, the fake Customer.io), with fixed counts and at most 10 minutes;
# prints: scenario | requests | errors by status | lost | duplicated | recovery seconds.
faults: $(VENV)/.dev services
	@report=$$(mktemp); \
	FAULTS_REPORT=$$report timeout 600 $(BIN)/pytest -q -p no:cacheprovider tests/reliability; \
	status=$$?; $(BIN)/python -m tests.reliability.report $$report; rm -f $$report; exit $$status

clean:
	rm -rf $(VENV) instance/*.sqlite3
