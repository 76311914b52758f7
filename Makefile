# Jili — the two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FLASK_APP := jili.wsgi:app

.PHONY: run dev test lint bench bench-web bench-load bench-import install translations db demo clean browser-deps

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found); set PYTHON=..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	@echo "Installing Jili and its dependencies into $(VENV) (log: $(VENV)/install.log)"
	@$(BIN)/pip install --disable-pip-version-check -e '.[test]' > $(VENV)/install.log 2>&1 || { tail -40 $(VENV)/install.log; exit 1; }
	@touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	@if [ -d platform/jili/translations ]; then $(BIN)/pybabel compile -d platform/jili/translations > $(VENV)/babel.log 2>&1 || { cat $(VENV)/babel.log; exit 1; }; fi

# Re-extract every UI string (babel.cfg) into messages.pot and merge it into the zh_Hans,
# zh_Hant and en catalogues; then translate what is new or fuzzy (tests/test_translations.py
# fails until every entry is translated and nothing is fuzzy), and `make translations`.
.PHONY: translations-update
translations-update: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
		--add-comments=TRANSLATORS: --no-location --sort-output --project=Jili --version=0.1.0 \
		--copyright-holder=Jili -o platform/jili/translations/messages.pot .
	$(BIN)/pybabel update -i platform/jili/translations/messages.pot -d platform/jili/translations \
		--previous --ignore-obsolete

db: install
	@mkdir -p instance
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/jili demo load tenants

# The web server and the background worker (mail outbox, daily alerts) together;
# stopping one (Ctrl-C) stops the other.
run: demo
	@$(BIN)/jili demo logins tenants
	@$(BIN)/jili jobs worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn -c deploy/gunicorn.conf.py

dev: demo
	$(BIN)/flask run --debug --port 5000

# SQLite always; PostgreSQL too when one answers (JILI_TEST_DATABASE_URL, or 127.0.0.1:5432/test).
test: install browser-deps
	$(BIN)/python tests/run.py

# The browser tests drive Debian's Chromium; install it (and CJK fonts) when we can.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1 || { \
	  echo "Installing Chromium and CJK fonts for the browser tests (log: /tmp/jili-apt.log)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) \
	    > /tmp/jili-apt.log 2>&1 || echo "Chromium could not be installed: the browser tests will be SKIPPED"; }

lint: install
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check platform plugins tests
	$(BIN)/ruff format --check platform plugins tests

# SQLite, then PostgreSQL when one answers (a scratch database is created and dropped);
# results in bench/RESULTS.md and bench/RESULTS-postgresql.md. Then the home pages at
# 10,000 people (bench/web.py, a few minutes): bench/RESULTS-web*.md. `make bench-web`
# runs only that part.
BENCH_POSTGRESQL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/run.py --postgresql $(BENCH_POSTGRESQL) --out bench/RESULTS-postgresql.md
	$(MAKE) bench-web
	$(MAKE) bench-load
	$(MAKE) bench-import

bench-web: install
	$(BIN)/python bench/web.py
	$(BIN)/python bench/web.py --postgresql $(BENCH_POSTGRESQL) --out bench/RESULTS-web-postgresql.md

# The pages under load through gunicorn (deploy/gunicorn.conf.py) with 1,000 tenants, the
# largest of 10,000 people, beside /healthz: bench/RESULTS-load.md. The database is built
# once (a few minutes) and cached under /tmp/jili-bench-load.
bench-load: install
	$(BIN)/python bench/load.py

# A 1,000,000-row transactions CSV through the upload handler and the import job against
# raw executemany of the same rows (bench/import.py, some minutes each): SQLite, then
# PostgreSQL in a schema of its own (jili_bench_import, dropped afterwards) in
# $(BENCH_POSTGRESQL). Results: bench/RESULTS-import.md, bench/RESULTS-import-postgresql.md.
bench-import: install
	$(BIN)/python bench/import.py
	$(BIN)/python bench/import.py --postgresql $(BENCH_POSTGRESQL) --out bench/RESULTS-import-postgresql.md

clean:
	rm -rf $(VENV) instance/*.sqlite3
