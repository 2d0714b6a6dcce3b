# `make run` builds everything on the embedded data (or on DATA_DIR); `make test` runs every test.
# Both create .venv on first use and reinstall only when requirements change.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test grid bench docs clean

run: $(STAMP)
	$(PYTHON) -m recsys.build $(if $(DATA_DIR),--data-dir "$(DATA_DIR)")

test: $(STAMP)
	$(PYTHON) -m pytest

grid: $(STAMP)
	$(PYTHON) -m recsys.build --grid $(if $(DATA_DIR),--data-dir "$(DATA_DIR)")

bench: $(STAMP)
	$(PYTHON) bench/run.py

docs: $(STAMP)
	$(VENV)/bin/dbt docs generate

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

clean:
	rm -rf $(VENV) target logs
