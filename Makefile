# shnor — the two commands of the README: `make demo` and `make test`.
# Everything a fresh machine needs is installed here from requirements.lock (pinned + hashed).
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .uv/bin/uv
VENV := .venv
DATA_DIR ?= data

# uv cannot download interpreters here; Prefect runs offline and quiet (docs/architecture.md).
export UV_PYTHON_DOWNLOADS := never
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_LOGGING_LEVEL := WARNING
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90

.PHONY: setup browser demo test lint format lock bench bench-scale clean

## setup: create .venv with the locked dependencies and shnor (quick when already done)
# Bytecode is compiled once here: where PYTHONDONTWRITEBYTECODE is set (CI images often do),
# Python would otherwise compile pandas, Prefect and GX from source in every process (~3 s).
setup: $(VENV)/.installed
	@$(VENV)/bin/python -m compileall -q -j 0 src

$(UV):
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: requirements.lock pyproject.toml | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --compile-bytecode --python $(VENV)/bin/python requirements.lock
	$(UV) pip install --quiet --python $(VENV)/bin/python --no-deps -e .
	@touch $@

## demo: set up, generate the demo region if data/raw is empty, run the annual flow
demo: setup
	@if [ -z "$$(find $(DATA_DIR)/raw -type f ! -name .gitkeep -print -quit 2>/dev/null)" ]; then \
		$(VENV)/bin/shnor demo --data-dir $(DATA_DIR); fi
	$(VENV)/bin/shnor run --data-dir $(DATA_DIR)

## browser: Debian's Chromium for the report tests (headless rendering), when it is missing
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; fi

## test: set up and run the whole test suite (two workers)
test: setup browser
	$(VENV)/bin/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=10

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

## lock: re-resolve requirements.lock after changing dependencies in pyproject.toml
lock: $(UV)
	$(UV) pip compile pyproject.toml --group dev --python $(PYTHON) --generate-hashes \
		--no-header --quiet -o requirements.lock

## bench: run the benchmarks and rewrite benchmarks/RESULTS.md
bench: setup
	$(VENV)/bin/python benchmarks/run.py

## bench-scale: the scale benchmark alone (SCALE=region, or SCALE=national [REGIONS=N])
SCALE ?= region
bench-scale: setup
	$(VENV)/bin/python benchmarks/run.py --only scale --scale $(SCALE) $(if $(REGIONS),--regions $(REGIONS))

clean:
	rm -rf $(VENV) .uv .prefect .pytest_cache
