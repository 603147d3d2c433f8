# The two commands of the README: `make run` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

.PHONY: run test install lint typecheck bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP) $(RUN_STAMP)

# `make run` needs the runtime dependencies only (no test tooling); PostgreSQL: pip install '.[postgres]'.
$(RUN_STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

install: $(STAMP)

## Install, then run the main job: migrate, load the demo patients, serve on 127.0.0.1
## (prints the address and the demo login). PORT=8001 make run to change the port.
run: $(RUN_STAMP)
	$(BIN)/revspine demo $(if $(PORT),--port $(PORT))

## Install, then lint, type-check and run every test.
test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/pytest -q -n 2 --dist loadgroup --cov --cov-report=
	@echo "coverage: $$($(BIN)/coverage report --format=total)% of src/revspine (floor in pyproject.toml, tool.coverage.report)"
	@$(BIN)/coverage report --format=total >/dev/null

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_assess.py
	$(BIN)/python benchmarks/bench_web.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
