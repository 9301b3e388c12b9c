# PaperScout: `make run` runs the bot, `make test` runs the test suite. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: run test lint bench clean lock upgrade

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "PaperScout needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip

# Installs come from the lock files (requirements/*.txt, made by `make lock`), then the project
# itself without dependencies; reinstalled when the lock or the project's metadata changes.
$(VENV)/.installed: pyproject.toml requirements/runtime.txt | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_FLAGS) -r requirements/runtime.txt
	$(BIN)/python -m pip install $(PIP_FLAGS) --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml requirements/dev.txt | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_FLAGS) -r requirements/dev.txt
	$(BIN)/python -m pip install $(PIP_FLAGS) --no-deps -e .
	@touch $@ $(VENV)/.installed

# `make lock` after editing pyproject.toml's dependencies (keeps every other pin);
# `make upgrade` moves every pin to the newest release the ranges allow;
# `make upgrade PACKAGE=aiohttp` moves one package (and what it needs).
# The dev lock is resolved first; the runtime lock is held to its versions (tested = shipped).
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 \
	--custom-compile-command "make lock" pyproject.toml
UPGRADE = $(if $(PACKAGE),--upgrade-package $(PACKAGE),--upgrade)

lock: $(VENV)/.installed-dev
	$(UV_COMPILE) --extra dev $(LOCK_FLAGS) -o requirements/dev.txt
	$(UV_COMPILE) --constraint requirements/dev.txt -o requirements/runtime.txt

upgrade:
	$(MAKE) lock LOCK_FLAGS="$(UPGRADE)"

run: $(VENV)/.installed
	@$(BIN)/paperscout run

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_sources.py

clean:
	rm -rf $(VENV) .pytest_cache
