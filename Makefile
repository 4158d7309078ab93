# The two set-up commands of README.md: `make demo` (main job) and `make test` (the test suite).
# Both create .venv and install everything from scratch on a fresh Debian machine.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch (a plain `torch` requirement would pull a multi-GB CUDA build).
TORCH ?= torch==2.13.0
export MUJOCO_GL ?= egl

.PHONY: install demo test lint
$(BIN)/badbench: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[all]'
	touch $@

install: $(BIN)/badbench

demo: install
	bash scripts/system-deps.sh
	$(BIN)/badbench demo

test: install
	bash scripts/system-deps.sh
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests benchmarks
