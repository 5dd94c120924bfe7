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

# After a change: unit, integration and all nine notebooks on this machine's engine, and the
# browser test. Two workers take a file at a time, the costliest first (tests/conftest.py);
# the tests marked `alone` then run by themselves.
test: setup
	status=0; \
	$(PY) -m pytest -m "not extra_engine and not alone" -n 2 --dist loadfile --no-loadscope-reorder || status=$$?; \
	$(PY) -m pytest -m "not extra_engine and alone" || status=$$?; \
	exit $$status

# The other engines and rooms: Docker 26 (containerd store and overlay2, in a container on this
# engine), Podman, a remote engine, the offline workshop kit, the official profile through a mirror.
# Two workers (tests/conftest.py, OWN_NETWORK): one for the tests whose containers sit on the Docker
# engine's bridge, one after another (the kit's test cuts that bridge's egress), one for Podman and
# the remote engine, whose networks are their own. tests/integration/notebook_sets.py says which
# notebooks each engine runs.
test-engines: setup
	$(PY) -m pytest -m extra_engine -n 2 --dist loadgroup -v

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
