# Community Safety Partnership strategic assessment toolkit.
# `make help` lists the targets. Everything runs inside .venv, created on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PARAMS ?= parameters/default.yaml

.DEFAULT_GOAL := help
.PHONY: help assessment test lab lint format benchmarks screenshots check-pages clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

assessment: $(STAMP) ## Run the default assessment on the embedded data -> outputs/<year>/
	$(BIN)/csp assess --params $(PARAMS) --jobs 2

test: $(STAMP) ## Run the whole test suite (pytest, doctests and nbval)
	$(BIN)/python -m pytest

lab: $(STAMP) ## Open JupyterLab on the notebooks with the csplib environment
	$(BIN)/jupyter lab notebooks/

lint: $(STAMP) ## The pre-commit checks on every file: ruff, ruff format, notebooks without outputs, no file over 3 MB
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

format: $(STAMP) ## Format code and strip notebook outputs
	$(BIN)/ruff format csplib tests benchmarks
	find notebooks -name "*.ipynb" -not -path "*/.ipynb_checkpoints/*" -exec $(BIN)/nbstripout {} +

benchmarks: $(STAMP) ## Run the performance benchmarks and print their figures
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

screenshots: $(STAMP) ## Pages at 1280/390 px as PNG, threat as PDF -> <OUT>/screenshots/ (OUT: newest outputs/<year>)
	$(BIN)/python -m csplib.present.browser screenshots $(OUT)

check-pages: $(STAMP) ## Check the shared pages in Chromium at 1280/390 px (overflow, tables, code names, axe)
	$(BIN)/python -m csplib.present.browser check $(OUT)

clean: ## Remove generated outputs and caches (not the virtualenv)
	rm -rf outputs/*/ .cache .pytest_cache
