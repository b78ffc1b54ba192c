# The two set-up commands are `make app` and `make test`; everything they need is installed here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8501

.PHONY: app test quick lint format bench bench-load bench-bulk venv system-deps clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

# PostgreSQL, Chromium and LibreOffice for the storage, browser and export tests (Debian).
system-deps:
	@bash .ci/system-deps.sh

app: venv
	-$(BIN)/planner data check
	-$(BIN)/planner registry init
	$(BIN)/planner app --port $(PORT)

# everything: PostgreSQL, the browser, LibreOffice, `make app`, properties with 40 examples
test: venv system-deps
	HYPOTHESIS_PROFILE=full $(BIN)/python -m pytest -m "slow or not slow"

# the developer's loop: no servers, no browser, 3 examples per property (2½ minutes on 2 cores)
quick: venv
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check planner tests bench
	$(BIN)/ruff format --check planner tests bench

format: venv
	$(BIN)/ruff format planner tests bench
	$(BIN)/ruff check --fix planner tests bench

bench: venv
	$(BIN)/python bench/run.py

# writers and imports racing on SQLite and a throw-away PostgreSQL: successes, conflicts, lost
bench-load: venv system-deps
	$(BIN)/python bench/load.py

bench-bulk: venv system-deps
	$(BIN)/python bench/bulk.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache reports/*.csv reports/*.xlsx reports/screenshots
