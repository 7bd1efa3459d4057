# Every target installs what it needs first (uv + the locked environment), so a fresh clone
# needs nothing but Python 3.11 and make.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := $(or $(UV_PROJECT_ENVIRONMENT),.venv)
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif
RUN := $(UV) run --frozen --no-sync
export DAGSTER_HOME := $(CURDIR)/.dagster_home
SQL_PATHS := dbt/models dbt/tests macros
PY_PATHS := orchestration dashboard benchmarks tests

.PHONY: help install sample manifest demo run scaffold location dev dashboard test test-fast lint fix docs retention erase history assistant bench clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

install: $(VENV)/.installed ## create the environment from the lock file (uv)

manifest: install ## parse the dbt project into target/manifest.json (Dagster loads it)
	$(RUN) dbt parse --quiet --project-dir . --profiles-dir dbt

sample: install ## generate the sample sources (SQLite) under data/sample
	$(RUN) python -m orchestration.demo.cli sample

demo: manifest $(DAGSTER_HOME)/dagster.yaml ## run the whole pipeline on the embedded default and print the gold tables
	$(RUN) python -m orchestration.demo.cli demo

run: manifest $(DAGSTER_HOME)/dagster.yaml ## materialise the days FROM[..TO] (LOCATION=culture, SELECT='key:raw/sport/*' to narrow)
	$(RUN) python -m orchestration.platform.cli run --from '$(FROM)' --to '$(TO)' $(if $(SELECT),--select '$(SELECT)') $(if $(LOCATION),--location '$(LOCATION)')

scaffold: install ## write the staging model of a landed table: make scaffold TABLE=<system>.<table>
	$(RUN) python -m orchestration.platform.cli scaffold $(TABLE) $(if $(ENTITY),--entity $(ENTITY))

location: install ## add a department (a code location): make location NAME=<name> OWNER=<e-mail> [DESCRIPTION="..."]
	$(RUN) python -m orchestration.platform.cli location '$(NAME)' --owner '$(OWNER)' $(if $(DESCRIPTION),--description "$(DESCRIPTION)")

dev: manifest $(DAGSTER_HOME)/dagster.yaml ## dagster dev: every department's code location (LOCATION=culture: one) on http://127.0.0.1:3000 (PORT=..)
	$(RUN) dagster dev $(if $(LOCATION),-m orchestration.locations.$(LOCATION).definitions,-w workspace.yaml) -h 127.0.0.1 -p $(or $(PORT),3000)

dashboard: install ## the dashboard of the gold tables on http://127.0.0.1:8501 (after make demo; PORT=..)
	$(RUN) python -m streamlit run dashboard/app.py --server.address 127.0.0.1 --server.port $(or $(PORT),8501) \
		--server.headless true --browser.gatherUsageStats false

$(DAGSTER_HOME)/dagster.yaml: orchestration/platform/instance.py | install
	@mkdir -p $(DAGSTER_HOME)
	@$(RUN) python -m orchestration.platform.instance yaml > $@

test: manifest ## the whole test suite (unit, integration, end to end), on two workers
	$(RUN) pytest -n 2 --dist loadfile --durations=15

test-fast: manifest ## the fast tier for the edit-test loop: unit, definitions, conventions (< 1 min)
	$(RUN) pytest tests/unit tests/test_definitions.py tests/test_definitions_snapshot.py tests/test_conventions.py

lint: manifest ## ruff (Python), sqlfluff (dbt models, tests, macros), then the project's conventions
	$(RUN) ruff format --check $(PY_PATHS)
	$(RUN) ruff check $(PY_PATHS)
	$(RUN) sqlfluff lint $(SQL_PATHS)
	$(RUN) python -m orchestration.platform.conventions

fix: install ## let ruff and sqlfluff fix what they can
	$(RUN) ruff format $(PY_PATHS)
	$(RUN) ruff check --fix $(PY_PATHS)
	$(RUN) sqlfluff fix $(SQL_PATHS)

docs: manifest ## build the dbt documentation site and serve it on http://127.0.0.1:8080 (PORT=..; after make demo)
	$(RUN) python -m orchestration.platform.cli docs
	$(RUN) python -m http.server $(or $(PORT),8080) --bind 127.0.0.1 --directory target

retention: manifest $(DAGSTER_HOME)/dagster.yaml ## delete lake partitions past each entry's retention_days, then rebuild (audited)
	$(RUN) python -m orchestration.platform.cli retention $(if $(TODAY),--today $(TODAY))

erase: manifest $(DAGSTER_HOME)/dagster.yaml ## remove a person everywhere: make erase PSEUDONYM=.. REQUEST=.. (audited)
	$(RUN) python -m orchestration.platform.cli erase --pseudonym '$(PSEUDONYM)' --request '$(REQUEST)'

history: manifest ## the published versions of a gold table: make history TABLE=gld_... [AS_OF=YYYY-MM-DD: the table that day, as CSV]
	$(RUN) python -m orchestration.platform.cli history '$(TABLE)' $(if $(AS_OF),--as-of $(AS_OF))

assistant: manifest ## print how to wire the analysts' assistant (a local MCP server) into an MCP client
	@$(RUN) python -m orchestration.assistant --client-config

bench: manifest ## benchmarks: our code against its peers, same run, ratios (BENCH=name to pick)
	$(RUN) python -m benchmarks $(BENCH)

clean: ## remove generated data, dbt artifacts and Dagster's local history
	rm -rf data target logs $(DAGSTER_HOME)
