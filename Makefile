# Social balance pipeline. `make all` sets everything up and runs it; `make test` checks it.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules --no-print-directory
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CONFIG ?= config/pipeline.yaml
RAW := data/raw
PROCESSED := data/processed
STAMPS := $(PROCESSED)/.stamps
# Quiet stage runs in scheduled jobs: make all QUIET=--quiet
QUIET ?=
PIPELINE := $(PY) -m pipeline $(QUIET)

RAW_FILES = $(filter-out $(RAW)/.gitkeep,$(wildcard $(RAW)/*))
CODE_FILES := $(wildcard pipeline/*.py pipeline/*.yaml pipeline/*/*.py pipeline/*/*/*.py pipeline/*/templates/* pipeline/*/locale/*/LC_MESSAGES/*.po)
# The stamp of an installed environment (a test run points it at a stamp of its own).
INSTALLED ?= $(VENV)/.installed

.PHONY: help all pipeline demo-data test lint bench nightly rollback clean

# The stage targets and their order come from the catalogue of datasets (pipeline/core/catalogue.py): stages.mk
# is generated from it (standard library only, so before the virtual environment exists) and remade, and
# make restarted, whenever the catalogue or the stage registry changes. It defines STAGE_NAMES, LAST_STAMP,
# each stamp's prerequisites (the stamps of the stages whose datasets it reads) and a target per stage.
STAGES_MK := stages.mk
STAGE_NAMES :=
LAST_STAMP :=
include $(STAGES_MK)
$(STAGES_MK): pipeline/core/catalogue.py pipeline/core/datasets.py pipeline/core/datasets_views.py pipeline/core/stages.py
	@$(PYTHON) -m pipeline.core.datasets makefile > $@.tmp && mv $@.tmp $@

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

all: $(INSTALLED) ## Set up, make demo data if data/raw is empty, run every out-of-date stage
	@if [ -z "$(RAW_FILES)" ]; then $(PIPELINE) demo-data --out $(RAW); fi
	@$(MAKE) pipeline

$(INSTALLED): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

# One stamp per stage; each is rewritten (or touched) by the runner, which re-computes a stage only when
# the content of its inputs, its config sections or its code changed. The first stage depends on the raw
# files, the config and the code; every later one on the stamps stages.mk lists for it.
pipeline: $(LAST_STAMP)

$(STAMPS)/$(firstword $(STAGE_NAMES)).json: $(RAW_FILES) $(CONFIG) $(CODE_FILES) | $(INSTALLED)

$(STAMPS)/%.json:
	$(PIPELINE) run --stage $* --config $(CONFIG)

demo-data: $(INSTALLED) ## Write the synthetic demo municipality to data/raw
	$(PIPELINE) demo-data --out $(RAW)

nightly: $(INSTALLED) ## Fetch sources, run what is out of date, publish atomically (for the scheduler)
	$(PIPELINE) refresh --config $(CONFIG)

rollback: $(INSTALLED) ## Put the previous published maps back
	$(PIPELINE) rollback --config $(CONFIG)

# axe-core for the accessibility tests (tests/a11y_util.py), pinned in package.json and package-lock.json;
# `npm ci` installs exactly the locked version into node_modules/ (docs/web-accessibility.md).
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

test: $(INSTALLED) $(AXE) ## Run the test suite (unit, end-to-end, browser and accessibility tests)
	$(PY) -m pytest

lint: $(INSTALLED) ## Check the code with ruff
	$(PY) -m ruff check pipeline tests benchmarks

bench: $(INSTALLED) ## Run the benchmarks (installs pandana for the comparison)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/access.py
	$(PY) benchmarks/scale.py

clean: ## Remove generated data, maps and logs (keeps data/raw and .venv)
	rm -rf $(PROCESSED)/* $(PROCESSED)/.stamps published logs/*.log logs/runs.jsonl
	rm -f maps $(STAGES_MK)
