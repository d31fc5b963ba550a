# Two commands: `make run` starts the whole system, `make test` runs every test.
# Both install what they need: uv, Python 3.10, the locked environment, and for the
# tests the Debian packages (chromium, tesseract-ocr, the fonts of the synthetic receipts) when they are missing.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen --no-sync
PYTEST_ARGS ?=
# Two workers when the machine has a core to spare (load average below the core count): each test
# file stays on one worker and the end-to-end tests share one (tests/conftest.py). On a machine
# already busy a second worker only adds its start-up (docs/development.md), so then one process.
# `make test PYTEST_XDIST="-n 2 --dist loadgroup"` or `PYTEST_XDIST=` decides it by hand.
PYTEST_XDIST ?= $(shell awk -v cores="$$(nproc)" '$$1 < cores { print "-n 2 --dist loadgroup" }' /proc/loadavg)

.PHONY: help run test checks lint docs install system-deps ocr-deps chat eval bench clean

help:
	@echo "make run    start the assistant (Rasa, actions, CRM ingestion) on localhost"
	@echo "make test   run the checks (ruff, mypy, the docs build) and the whole test suite"
	@echo "make chat   chat with the running assistant in this terminal"
	@echo "make eval   NLU accuracy on the held-out split"
	@echo "make bench  BANKING77 benchmark against a TF-IDF baseline"

run: install ocr-deps
	$(RUN) crmbot run

test: install system-deps checks
	$(RUN) pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

# Lint, format, types and the documentation site (--strict: a broken link or a page missing from the nav fails).
checks: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	NO_MKDOCS_2_WARNING=1 $(RUN) mkdocs build --strict --quiet --site-dir site

# Lint and format only (quick, before a commit); `ruff format .` rewrites what the check refuses.
lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .

docs: install
	NO_MKDOCS_2_WARNING=1 $(RUN) mkdocs serve

chat: install
	$(RUN) crmbot chat

eval: install
	$(RUN) crmbot eval

bench: install
	$(RUN) python bench/nlu_banking77.py

install: $(UV)
	@py="$$($(UV) python find '>=3.10,<3.11' 2>/dev/null || true)"; \
	if [ -z "$$py" ]; then \
	  for cand in $$(pyenv root 2>/dev/null || echo $(HOME)/.pyenv)/versions/3.10*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do \
	    if [ -x "$$cand" ] && "$$cand" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then py="$$cand"; fi; \
	  done; \
	fi; \
	if [ -z "$$py" ]; then \
	  echo "no Python 3.10 found; asking uv to install one"; \
	  $(UV) python install 3.10 || { echo "Python 3.10 is required (Rasa 3.6 supports nothing newer) and could not be installed"; exit 1; }; \
	  py="$$($(UV) python find 3.10)"; \
	fi; \
	$(UV) sync --frozen --quiet -p "$$py"

$(UV):
	@echo "installing uv"
	@python3 -m pip install --user --quiet uv 2>/dev/null \
	  || python3 -m pip install --user --quiet --break-system-packages uv 2>/dev/null \
	  || { apt-get update -qq && apt-get install -y -qq python3-pip >/dev/null && python3 -m pip install --user --quiet --break-system-packages uv; }

# The assistant reads receipt photos with tesseract: `make run` needs it too.
ocr-deps:
	@if ! command -v tesseract >/dev/null; then \
	  echo "installing Debian packages: tesseract-ocr tesseract-ocr-eng"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null; \
	fi

system-deps: ocr-deps
	@missing=""; \
	[ -d /usr/share/fonts/truetype/dejavu ] || missing="$$missing fonts-dejavu-core"; \
	[ -d /usr/share/fonts/truetype/liberation ] || missing="$$missing fonts-liberation"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

clean:
	rm -rf var models results test-results site
