# Garde: the two commands of the quick start are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DATA ?= garde-data
STAMP := $(VENV)/.installed

.PHONY: run test lint setup bench clean docs

# Create the virtual environment and install Garde with its pinned dependencies (once).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Set everything up and run Garde's main job on its embedded default.
run: $(STAMP)
	$(BIN)/garde demo --data-dir $(DATA) --live 60

# Set everything up and run the whole suite: linters, types, architecture, tests.
test: $(STAMP) lint
	$(BIN)/pytest -n 2 --dist loadgroup -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

docs: $(STAMP)
	$(BIN)/garde schema --markdown > docs/schema.md

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache .mypy_cache .ruff_cache
