# Thin wrappers: every target calls Python; the logic lives in the multistage package.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-engines test-fast lab clean doctor setup

# In a workshop room: with the instructor's kit unpacked in kit/, install from its wheelhouse
# and never ask a package index (docs/instructor-guide.md).
ifneq ($(wildcard kit/wheels/*),)
export PIP_NO_INDEX := 1
export PIP_FIND_LINKS := $(CURDIR)/kit/wheels
endif

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --quiet --upgrade pip
	$(PY) -m pip install --quiet --quiet -r requirements.txt -e .
	touch $(STAMP)

setup: $(STAMP)
	$(PY) -m multistage setup

run: setup
	$(PY) -m multistage run

test: setup
	$(PY) -m pytest -m "not extra_engine"

# The further engine configurations (Docker 26 on overlay2; the containerd store is in `test`).
test-engines: setup
	$(PY) -m pytest -m extra_engine

# Seconds, no engine: the type check, then the unit tests (parsers, charts, profiles, errors from
# recorded streams).
test-fast: $(STAMP)
	$(PY) -m mypy
	$(PY) -m pytest -q -m "not engine and not toolchain"

lab: setup
	$(PY) -m multistage lab

doctor: $(STAMP)
	$(PY) -m multistage doctor

clean: $(STAMP)
	$(PY) -m multistage clean
