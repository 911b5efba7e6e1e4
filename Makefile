# Two commands for a newcomer: `make run` and `make test`.
.DEFAULT_GOAL := help
SHELL := /bin/bash
# Local defaults: a development secret key and plain static files. Production sets
# DEBUG=0 and its own SECRET_KEY; the tests run with DEBUG off whatever this says.
export DEBUG ?= 1

# uv from PATH, or bootstrapped into .tools/ from PyPI the first time.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
MANAGE := $(UV) run --frozen python manage.py

help:
	@echo "make run    install, migrate, load the demo and serve on http://127.0.0.1:8000 (SQLite)"
	@echo "make test   run the test suite"
	@echo "make lint   ruff, formatting, mypy and migration checks"
	@echo "make serve  the production server (granian) on 127.0.0.1:8000; needs SECRET_KEY"
	@echo "make bench  seed the scale organisation into PostgreSQL and measure the pages"
	@echo "make scale  three web hosts, two workers and two beats behind HAProxy (root; bench/RESULTS.md)"

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

.venv/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen
	@touch $@

install: .venv/.synced

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) recompute_figures
	$(MANAGE) load_demo
	$(MANAGE) runserver 127.0.0.1:8000

# The tests spread over one process per core (pytest-xdist); TEST_WORKERS=0 runs them in one.
TEST_WORKERS ?= auto

test: install
	$(UV) run --frozen pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy core orgs audit missions metrics reporting integrations api config
	$(UV) run --frozen lint-imports
	$(MANAGE) makemigrations --check --dry-run

format: install
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

.PHONY: help install run test lint format

# The production server, locally: granian through `manage.py serve`, as the image runs it
# (WEB_WORKERS, WEB_THREADS...: the README's configuration table; one process without Redis).
serve: install
	DEBUG=0 SECURE_SSL_REDIRECT=0 $(UV) run --frozen python manage.py collectstatic --noinput -v0
	DEBUG=0 SECURE_SSL_REDIRECT=0 $(UV) run --frozen python manage.py serve --host 127.0.0.1 --port 8000

# Seeds the scale organisation into PostgreSQL and measures the pages with wrk.
bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(UV) run --frozen python bench/run.py

.PHONY: serve bench

# Three web hosts, two workers and two beats, each in its own network namespace, behind
# HAProxy, on one PostgreSQL and Redis; writes what held into bench/RESULTS.md. Needs root.
scale: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	@command -v haproxy >/dev/null || (apt-get update -qq && apt-get install -y -qq haproxy)
	$(UV) run --frozen python bench/scale.py

.PHONY: scale
