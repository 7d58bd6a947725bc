# Two commands: `make run` (set up and start the app) and `make test` (set up and run every check and test).
# The set-up (tools/ensure-venv.sh) builds .venv with Python 3.11: `make run` installs requirements.txt,
# `make test` adds requirements-dev.txt. It rebuilds .venv by itself when it was made by another Python or
# an earlier set-up did not finish. Another interpreter: `make run PYTHON=python3.11`; another port: PORT=8502.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
SETUP := PYTHON="$(PYTHON)" VENV="$(VENV)" bash tools/ensure-venv.sh

.PHONY: run test setup setup-dev bench bench-store samples docs clean

setup:
	@$(SETUP) app

setup-dev:
	@$(SETUP) dev

run: setup
	@echo "Starting Posture on http://127.0.0.1:$(PORT) (stop it with Ctrl+C)..."
	$(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

# Fast checks first, then the tests. lint-imports checks the core's layers (pyproject.toml [tool.importlinter]).
test: setup-dev
	bash tools/ensure-browser.sh
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy --strict posture
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

bench: setup
	$(PY) -m benchmarks.bench

bench-store: setup
	$(PY) -m benchmarks.store

samples: setup
	$(PY) sample_images/generate.py

# docs/measurements.md from the registries (tests/test_measurements_doc.py fails when it is stale)
docs: setup
	$(PY) tools/make_measurements_doc.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache test-output
