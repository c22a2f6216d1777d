# The README's commands. `make demo` and `make test` are the two a newcomer needs.
VENV ?= .venv
BIN := $(VENV)/bin
HAFAN := $(BIN)/hafan
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test venv lint typecheck assets messages bench bench-briefing bench-linkage bench-ingest bench-analytics serve clean

$(STAMP): pyproject.toml
	@PY=$$(bash scripts/find-python.sh) && echo "Using $$PY" && \
	  { [ -x $(BIN)/python ] && $(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' || { rm -rf $(VENV); $$PY -m venv $(VENV); }; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	@mkdir -p var
	$(HAFAN) migrate --noinput
	$(HAFAN) demo_data --if-empty
	@$(HAFAN) demo_logins
	@echo "Two-factor code for a demo login (run in another terminal): HAFAN_DEMO=1 $(HAFAN) demo_code USERNAME"
	$(HAFAN) runserver 127.0.0.1:8000

serve: $(STAMP)
	$(HAFAN) runserver 127.0.0.1:8000

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy hafan config
	$(HAFAN) makemigrations --check --dry-run
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy hafan config

assets:
	bash scripts/build-assets.sh

messages: $(STAMP)
	cd hafan && ../$(HAFAN) makemessages -l cy --no-obsolete --add-location file && ../$(HAFAN) compilemessages -l cy

bench: bench-briefing bench-linkage bench-ingest

bench-briefing: $(STAMP)
	$(HAFAN) bench_briefing

bench-linkage: $(STAMP)
	$(HAFAN) bench_linkage

# Imports into a PostgreSQL database of its own (created if missing), which the benchmark empties.
BENCH_PG ?= postgres://postgres@127.0.0.1:5432
bench-ingest: $(STAMP)
	@psql "$(BENCH_PG)/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = 'hafan_bench'" | grep -q 1 || \
	  psql "$(BENCH_PG)/postgres" -qc "CREATE DATABASE hafan_bench"
	DATABASE_URL=$(BENCH_PG)/hafan_bench $(HAFAN) migrate --noinput -v 0
	DATABASE_URL=$(BENCH_PG)/hafan_bench $(HAFAN) bench_ingest

# Loads ~2 million synthetic episodes into the analytics store of $DATABASE_URL, which must be a PostgreSQL database
# of its own (the table is emptied), e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/hafan_bench make bench-analytics
# Options: BENCH_ANALYTICS_ARGS="--reuse --repeat 5 --episodes 2000000".
bench-analytics: $(STAMP)
	@case "$$DATABASE_URL" in postgres*) ;; *) echo "bench-analytics needs DATABASE_URL=postgres://... (a database of its own)" >&2; exit 2;; esac
	$(HAFAN) migrate --noinput -v 0
	$(HAFAN) bench_analytics $(BENCH_ANALYTICS_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache
