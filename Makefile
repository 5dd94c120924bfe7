# Thin wrappers: every target calls Python; the logic lives in the multistage package.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lab clean doctor setup

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -e .
	touch $(STAMP)

setup: $(STAMP)
	$(PY) -m multistage setup

run: setup
	$(PY) -m multistage run

test: setup
	$(PY) -m pytest

lab: setup
	$(PY) -m multistage lab

doctor: $(STAMP)
	$(PY) -m multistage doctor

clean: $(STAMP)
	$(PY) -m multistage clean
