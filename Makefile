# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INDEX_DIR ?= index

.PHONY: run test lint install install-test clean

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Index seeds/ when the index is missing, then start the service.
run: install
	@if ! ls $(INDEX_DIR)/*.toc >/dev/null 2>&1; then $(VENV)/bin/chancery index --index-dir $(INDEX_DIR) seeds; fi
	$(VENV)/bin/chancery serve --index-dir $(INDEX_DIR)

lint: install-test
	$(PY) -m flake8 search api chancery tests bench

test: install-test lint
	$(PY) -m pytest

clean:
	rm -rf $(VENV) build dist *.egg-info
