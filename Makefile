# Sluicegate developer commands. Every target works on a fresh Debian machine with Python 3.11.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install lock system test test-e2e demo bench lint render clean checkov-install checkov

install: $(STAMP) ## create .venv with the locked dependencies, the project (editable) and dev tools; quick when nothing changed

# requirements.lock pins every runtime and dev package (pyproject keeps the ranges users get); uv installs it.
# --compile-bytecode writes every .pyc once at install: with PYTHONDONTWRITEBYTECODE set (common in CI and
# containers) each interpreter would otherwise compile mlflow, sklearn... from source on every start.
LOCK       := requirements.lock
UV_VERSION := $(shell sed -n 's/^uv==//p' $(LOCK))

$(STAMP): pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 (apt-get install python3.11-venv)"; exit 1; }
	@echo "install [1/4] virtualenv $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "install [2/4] uv $(UV_VERSION) into $(VENV)"
	@$(BIN)/uv --version 2>/dev/null | grep -qF ' $(UV_VERSION)' || $(BIN)/python -m pip install --quiet --quiet 'uv==$(UV_VERSION)'
	@echo "install [3/4] the locked packages ($(LOCK)) and sluicegate, editable"
	@$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python $(LOCK)
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@echo "install [4/4] system packages"
	@$(MAKE) --no-print-directory system
	@touch $(STAMP)
	@echo "install done: $(VENV)"

lock: ## re-resolve requirements.lock from pyproject's ranges (upgrades everything: make lock UPGRADE=--upgrade)
	@$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --universal --python-version 3.11 $(UPGRADE) -o $(LOCK)

system: ## Debian packages the local stack uses (prometheus, git); skipped with a hint when not root
	@bash scripts/install-system-packages.sh

# Most tests wait on servers and subprocesses, so more workers than cores pays off; --dist loadfile keeps a
# file's module-scoped stacks on one worker; --no-loadscope-reorder hands out files in collection order, which
# puts the modules marked `slow` first (tests/conftest.py) instead of files with the most tests.
# `make test PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= 6

# compileall: the project's own modules are not in site-packages, so --compile-bytecode above skips them; with
# PYTHONDONTWRITEBYTECODE set every `sluice`, stack and step process would compile them again (~0.4 s of CPU each).
test: install checkov-install ## the test suite (CI runs this), spread over PYTEST_WORKERS processes
	@$(BIN)/python -m compileall -q -j0 sluicegate components workflows events rollouts tests >/dev/null
	$(BIN)/python -m pytest -q $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder) --durations=25

# The bring-your-own-model end to end (tests/project/test_push_to_canary.py): three model repositories go git push
# -> trained -> evaluated -> canary promoted on one stack; 10-20 minutes on 2 cores, so not part of `make test`.
test-e2e: install ## three model repositories through the whole loop on one stack (10-20 min)
	SLUICE_TEST_BYO_E2E=1 $(BIN)/python -m pytest -q -s tests/project/test_push_to_canary.py

demo: install ## the whole loop on this machine: sluice up, then git push -> pipeline -> canary
	@$(BIN)/sluice status >/dev/null 2>&1 || $(BIN)/sluice up --detach
	$(BIN)/sluice demo

bench: install .venv-bench/.installed ## every benchmark, side by side with its peers; writes bench/RESULTS.md
	$(BIN)/python -m bench

# The peers (Metaflow, KFP) in their own venv: KFP pins kubernetes<31, which the project cannot share.
.venv-bench/.installed: Makefile
	@test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet --upgrade pip
	.venv-bench/bin/python -m pip install --quiet 'metaflow>=2.19,<3' 'kfp>=2.17,<3'
	@touch $@

lint: install ## ruff + mypy (strict) + import layering
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

render: install ## regenerate manifests/ from the definitions
	$(BIN)/sluice render --out manifests

# checkov has its own venv: its pins conflict with ours. uv makes it (without pip: 0.2 CPU-s instead of `venv`'s 8)
# and installs checkov in seconds from a warm cache.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV    := .venv-checkov
CHECKOV_STAMP   := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

checkov-install: $(CHECKOV_STAMP) ## checkov in .venv-checkov (tests/infra/test_checkov.py runs it)

$(CHECKOV_STAMP): $(STAMP)
	@echo "checkov $(CHECKOV_VERSION) into $(CHECKOV_VENV)"
	@test -x $(CHECKOV_VENV)/bin/python || $(BIN)/uv venv --quiet --python $(PYTHON) $(CHECKOV_VENV)
	@$(BIN)/uv pip install --quiet --compile-bytecode --python $(CHECKOV_VENV)/bin/python 'checkov==$(CHECKOV_VERSION)'
	@touch $(CHECKOV_STAMP)

checkov: checkov-install ## checkov on infra/terraform, the rendered manifests, docker/ and .github/
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml --framework terraform -d infra/terraform
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml --framework kubernetes argo_workflows -d manifests
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml --framework dockerfile -d docker
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml --framework github_actions -d .github

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .sluice .pytest_cache .mypy_cache .ruff_cache
