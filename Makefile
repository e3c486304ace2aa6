# Two entry points: `make run` (install the app and start it, embedded mode) and
# `make test` (install everything, provision Chromium and poppler-utils, lint, run the whole
# suite). Python 3.11+ as $(PYTHON).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test provision lint bench model registry

run: $(VENV)/.app-installed
	$(BIN)/python -m streamlit run app.py

# Everything but the browser tests on three workers (pytest-xdist), with the type check beside
# them (either failing fails the target), then the browser tests on three workers, a whole file
# per worker (--dist loadfile: a file's module-scoped Streamlit server and Chromium stay on one
# worker), the longest files first (tests/conftest.py: BROWSER_FILE_SECONDS). Three workers on a 2-core runner: the tests wait on servers, sockets and browsers for
# a third of their time, so a third worker fills it (docs/performance.md, "make test").
test: provision
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy & types=$$!; \
	$(BIN)/python -m pytest -m "not browser" -n 3 --durations=15; tests=$$?; \
	wait $$types; checked=$$?; \
	test $$tests -eq 0 && test $$checked -eq 0
	$(BIN)/python -m pytest -m browser -n 3 --dist loadfile --no-loadscope-reorder --durations=15

# The OS packages the tests need beyond pip (scripts/provision-test-os.sh: apt, else Playwright).
provision: $(VENV)/.dev-installed
	VENV_PYTHON=$(BIN)/python scripts/provision-test-os.sh

lint: $(VENV)/.dev-installed
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

# Every benchmark prints ratios against a baseline measured in the same run.
bench: $(VENV)/.dev-installed
	$(BIN)/python bench/bench_handler.py
	$(BIN)/python bench/bench_submit.py
	$(BIN)/python bench/bench_service.py
	$(BIN)/python bench/bench_monitoring.py
	$(BIN)/python bench/bench_group_commit.py
	$(BIN)/python bench/bench_offer.py
	$(BIN)/python bench/bench_explain.py
	$(BIN)/python bench/bench_outcome_write.py --s3
	$(BIN)/python bench/bench_outcomes.py --s3
	$(BIN)/python bench/bench_auth.py

# Rebuild model/ from data/ with plain scikit-learn (no MLflow), about a minute.
model: $(VENV)/.training-installed
	$(BIN)/python -m laptop_pricing.training build

# The MLflow cycle that produced the shipped model: train, promote the best, export the champion.
registry: $(VENV)/.dev-installed
	$(BIN)/python -m laptop_pricing.training train
	$(BIN)/python -m laptop_pricing.training promote
	$(BIN)/python -m laptop_pricing.training export

# Packages are installed by uv (pinned in requirements-bootstrap.txt), into the venv's Python: the
# same pins as pip, fetched in parallel. On a fresh machine the test requirements took 0:32 with uv
# against 5:31 with pip (docs/performance.md). Streamlit Cloud still reads requirements.txt itself.
INSTALL := $(BIN)/python -m uv pip install --python $(BIN)/python

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements-bootstrap.txt

$(VENV)/.app-installed: requirements.txt | $(BIN)/python
	$(INSTALL) -r requirements.txt
	touch $@

$(VENV)/.training-installed: requirements.txt requirements-training.txt | $(BIN)/python
	$(INSTALL) -r requirements-training.txt
	touch $@ $(VENV)/.app-installed

$(VENV)/.dev-installed: requirements.txt requirements-training.txt requirements-mlflow.txt requirements-dev.txt | $(BIN)/python
	$(INSTALL) -r requirements-dev.txt
	touch $@ $(VENV)/.training-installed $(VENV)/.app-installed
