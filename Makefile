# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEMO ?= 1
PORT ?= 8501
# Test processes (pytest-xdist); files stay whole on one worker, so a module's server is started once.
TEST_WORKERS ?= 3

.PHONY: run test bench load hall serve-replicas lint init demo clean-venv offline-bundle

# The venv is rebuilt when the pinned requirements change.
$(VENV)/.app: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.app requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

init: $(VENV)/.app
	$(PY) -m db init

# Demo data goes only into an empty database, and never with DEMO=0; a demo loaded on an earlier
# day is kept as it is (renew it with `python -m db purge-demo && python -m db demo`).
demo: init
	@if [ "$(DEMO)" != "0" ]; then $(PY) -m db demo --if-empty --base-url http://localhost:$(PORT); fi

# After the one-time password (init) and the demo: what to try (poll, reviewer links, venue codes, /live).
run: demo
	@if [ "$(DEMO)" != "0" ]; then $(PY) -m db demo-info --base-url http://localhost:$(PORT); fi
	$(PY) -m ui.serve --server.port $(PORT)

test: $(VENV)/.dev
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

bench: $(VENV)/.dev
	$(PY) -m bench

# 30 tablets filling questionnaires and 30 phones voting in Chromium against a local server (loopback
# only, at most 5 minutes of driving); fails unless every accepted answer and vote is stored exactly once.
load: $(VENV)/.dev
	$(PY) -m bench.load

# The hall day without browsers: 400 reviewers + 400 citizens + 3 leaders on /live, 3 minutes from the moment
# every tablet opens its link, over Streamlit's websocket protocol, on the recommended configuration (HALL_REPLICAS
# app processes behind nginx on PostgreSQL: two per core, README "The hall day"); fails unless every acknowledged
# answer and vote is stored exactly once (bench/hall/). HALL_OPTIONS="--reviewers 200 --citizens 200" (or
# --profile DIR, --curve, --url ... --invitations ...) changes it; later options win.
HALL_REPLICAS ?= $(shell expr 2 \* $$(nproc 2>/dev/null || echo 1))
HALL_OPTIONS ?=
hall: $(VENV)/.dev
	$(PY) -m bench.hall --reviewers 400 --citizens 400 --live-viewers 3 --minutes 3 --replicas $(HALL_REPLICAS) $(HALL_OPTIONS)

# N app processes + nginx (deploy/nginx.conf) on the PostgreSQL database in DATABASE_URL; Ctrl-C stops them.
# Two per core (README "The hall day": one event loop and one GIL per process; more processes, shorter queues).
N ?= $(shell expr 2 \* $$(nproc 2>/dev/null || echo 1))
LISTEN ?= 127.0.0.1:8080
serve-replicas: init
	$(PY) -m deploy.replicas $(N) --listen $(LISTEN)

# dist/review-offline-VERSION.tar.gz: the project, wheels for x86-64 (and aarch64 when all exist), the CJK
# fonts and install.sh, for a server without network access (deploy/bundle.py; README "Running it in an office").
offline-bundle: $(VENV)/.app
	$(PY) -m deploy.bundle

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .

clean-venv:
	rm -rf $(VENV)
