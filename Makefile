# Set-up pins torch==2.13.0: its CPU build is on the local disk; a looser requirement would
# pull a multi-GB CUDA build.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-slow bench setup clean

$(BIN)/dear: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/dear

setup: $(BIN)/dear

demo: setup
	$(BIN)/dear demo

test: setup
	$(BIN)/python -m pytest -q -n 2

test-slow: setup
	$(BIN)/python -m pytest -q -n 2 -m slow

bench: setup
	$(BIN)/dear bench data

clean:
	rm -rf $(VENV) .pytest_cache
