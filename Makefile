# Two commands matter: `make demo` (install + server with demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml package-lock.json | cksum | cut -d' ' -f1)
# Front-end libraries come from npm (pinned in package-lock.json), never from the repository.
VENDOR := src/webcare/web/static/vendor

.PHONY: install demo serve test lint typecheck imports unit bench bench-quick screenshots messages clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m webcare.enrichment.train --if-missing
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: install
	$(BIN)/webcare demo

serve: install
	$(BIN)/webcare serve

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

imports: install
	$(BIN)/lint-imports

unit: install
	$(BIN)/pytest -n 2 --dist loadgroup --durations=15

test: lint typecheck imports unit

bench: install
	$(BIN)/python bench/run_all.py

bench-quick: install
	$(BIN)/python bench/run_all.py --quick

# PNGs of the main screens in screenshots/, from headless Chromium (apt-get install chromium).
screenshots: install
	$(BIN)/python scripts/screenshots.py

# Extract UI strings and add new ones to the Dutch catalogue (then translate them there).
messages: install
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ --no-location --sort-output \
		-o src/webcare/web/locale/messages.pot .
	$(BIN)/pybabel -q update -i src/webcare/web/locale/messages.pot \
		-d src/webcare/web/locale -l nl --no-fuzzy-matching --omit-header

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
