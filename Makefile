# ctengine: `make run` and `make test` each set themselves up from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help install assets db run test check lint bench bench-quick clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) assets ## create .venv and install the project with its test tools

# Front-end assets: GOV.UK Frontend (the version govuk-frontend-jinja's macros match), MOJ
# Frontend and Mermaid for the staff workspace, and axe-core for the browser tests, from
# package-lock.json. Copied into web/static (not committed), with our own staff script from
# web/assets. "GDS Transport" is dropped from the font stacks: that typeface, like the
# crown, is only for services on GOV.UK, and this is a council service. Mermaid's ES module
# loads each diagram type's code on demand from its chunks (no source maps copied).
ASSETS := web/static/.assets-stamp
GOVUK := node_modules/govuk-frontend/dist/govuk
MOJ := node_modules/@ministryofjustice/frontend/moj
MERMAID := node_modules/mermaid/dist
SWAGGER := node_modules/swagger-ui-dist

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(ASSETS): node_modules/.package-lock.json $(wildcard web/assets/*)
	rm -rf web/static
	mkdir -p web/static/moj web/static/mermaid/chunks/mermaid.esm.min web/static/swagger-ui
	cp -R $(GOVUK)/assets/images $(GOVUK)/assets/manifest.json web/static/
	cp $(GOVUK)/govuk-frontend.min.js $(GOVUK)/govuk-frontend.min.js.map web/static/
	sed 's/GDS Transport,//g' $(GOVUK)/govuk-frontend.min.css > web/static/govuk-frontend.min.css
	cp $(MOJ)/assets/images/*.svg web/static/images/
	sed 's/GDS Transport,//g' $(MOJ)/moj-frontend.min.css > web/static/moj/moj-frontend.min.css
	cp $(MOJ)/all.bundle.mjs $(MOJ)/all.bundle.mjs.map web/static/moj/
	cp $(MERMAID)/mermaid.esm.min.mjs web/static/mermaid/
	cp $(MERMAID)/chunks/mermaid.esm.min/*.mjs web/static/mermaid/chunks/mermaid.esm.min/
	cp $(SWAGGER)/swagger-ui-bundle.js $(SWAGGER)/swagger-ui.css web/static/swagger-ui/
	cp web/assets/* web/static/
	touch $@

assets: $(ASSETS) ## install the front-end packages and copy GOV.UK and MOJ Frontend, Mermaid and Swagger UI into web/static

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

# The peer engines (SpiffWorkflow) are optional: a script says it skipped them if absent.
bench: install ## run every benchmark, write bench/results/latest.md (ARGS=--quick: ~5 min)
	$(BIN)/python bench/run_all.py $(ARGS)

bench-quick: install ## every benchmark at small sizes (about 5 minutes)
	$(BIN)/python bench/run_all.py --quick

bench-peers: install ## install the peer engines the benchmarks compare with
	$(BIN)/python -m pip install --quiet -e '.[peers]'

clean: ## remove the virtualenv, local database and front-end assets
	rm -rf $(VENV) var node_modules web/static
