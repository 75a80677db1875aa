# ctengine: `make run` and `make test` each set themselves up from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help install db run test check lint bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its test tools

db: install ## migrate the database and load the demo data
	mkdir -p var
	$(BIN)/ctengine db upgrade
	$(BIN)/ctengine demo-data

run: db ## serve http://127.0.0.1:8000 with demo data and the background worker
	$(BIN)/ctengine serve --host 127.0.0.1 --port 8000 --with-worker

test: install ## run the whole test suite (SQLite, or PostgreSQL when DATABASE_URL is set)
	$(BIN)/python -m pytest -n 2 -q

check: install ## ruff format check and lint
	$(BIN)/ruff check engine workflows web notifications tests bench

bench: install ## run the benchmarks (prints numbers; see bench/README)
	$(BIN)/python bench/transition.py
	$(BIN)/python bench/threshold.py

clean: ## remove the virtualenv and local database
	rm -rf $(VENV) var
