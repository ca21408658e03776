# Two commands on a fresh machine: `make demo` and `make test`. Both create the virtual
# environment from nothing (uv from PyPI, pinned set from requirements.lock, bytecode compiled);
# `make test` also installs Azurite (the local Azure Storage emulator the blob tests start) from
# the npm registry, pinned by tools/azurite/package-lock.json.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
AZURITE := tools/azurite
AZURITE_STAMP := $(AZURITE)/node_modules/.installed-stamp

.PHONY: setup azurite chromium demo test lint ui bench powerbi clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip sync --python $(BIN)/python --quiet --compile-bytecode requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

$(AZURITE_STAMP): $(AZURITE)/package.json $(AZURITE)/package-lock.json
	npm ci --prefix $(AZURITE) --no-audit --no-fund --loglevel=error
	touch $(AZURITE_STAMP)

azurite: $(AZURITE_STAMP)

# Headless Chromium (Debian package) for the insights report's browser tests; playwright drives
# it at /usr/bin/chromium and never downloads a browser. Installed only when missing.
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

demo: setup
	$(BIN)/footfall demo

test-slow: setup azurite | chromium
	$(BIN)/python -m pytest -m slow

test: setup azurite | chromium
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .

ui: setup
	DAGSTER_HOME=$(CURDIR)/data/dagster FOOTFALL_DATA_DIR=$(CURDIR)/data $(BIN)/dagster dev -w workspace.yaml

bench: setup
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/edge.py
	$(BIN)/python bench/faces.py
	$(BIN)/python bench/event_log.py

# Regenerate the Power BI project (powerbi/) from the contract, dbt docs and a scratch warehouse.
powerbi: setup
	$(BIN)/python tools/powerbi_model.py

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs $(AZURITE)/node_modules
