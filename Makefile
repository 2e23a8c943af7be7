# newswire: `make demo` and `make test` work on a fresh machine (Python 3.11, Java 17+, Maven, Go).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
NW := $(VENV)/bin/newswire

.PHONY: help venv system-packages services-up services-down models lint typecheck demo test unit bench clean

help:
	@echo "make demo    install, start Kafka + Elasticsearch, index the sample feed, show results"
	@echo "make test    install, lint, type-check, start the stack, run every test"
	@echo "make unit    only the tests that need no service"
	@echo "make bench   the full-pipeline benchmark (about 15 min): bench/results/latest.json + .png"
	@echo "make services-down   stop the local stack"

venv:
	@bash deploy/bootstrap-venv.sh

system-packages:
	@bash deploy/system-packages.sh

services-up: venv
	$(NW) services up

services-down: venv
	$(NW) services down

models: venv
	$(NW) models fetch

lint: venv
	$(PY) -m ruff check .

typecheck: venv
	$(PY) -m mypy

demo: services-up models
	$(NW) index setup
	$(NW) produce --feed samples/feed.jsonl
	$(NW) run
	$(NW) search --size 10

unit: venv
	$(PY) -m pytest -m "not integration" -q

test: lint typecheck system-packages services-up models
	$(PY) -m pytest -q

bench: services-up models
	$(PY) -m bench.pipeline_bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
