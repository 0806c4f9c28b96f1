# The two commands of the README: `make demo` and `make test`. Each does its own setup.
VENV := .venv
PY := $(VENV)/bin/python
OUT ?= out

.PHONY: setup demo test lint typecheck unit bench dev clean

setup:
	bash scripts/bootstrap.sh

demo: setup
	$(VENV)/bin/gpu-reclaim demo --out $(OUT)

test:
	bash scripts/bootstrap.sh --browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	bash scripts/typecheck.sh
	$(VENV)/bin/pytest -q -ra

unit: setup
	$(VENV)/bin/pytest -q -m "not e2e and not browser"

bench: setup
	$(PY) -m bench.run_benchmark

dev: setup
	mkdir -p .dagster_home && cp -n deploy/dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(VENV)/bin/dagster dev -m gpu_reclaim.pipelines.definitions

clean:
	rm -rf $(OUT) .dagster_home
