# `make run` builds everything on the embedded data (or on DATA_DIR); `make test` runs every test.
# Both create .venv on first use and reinstall only when requirements change.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Debian's Chromium for the report's browser test (playwright cannot download its own here)
CHROMIUM := /usr/bin/chromium

.PHONY: run test report grid bench docs clean

# DATA_DIR reaches Python as one argument, whatever it holds (spaces, quotes, $, backticks):
# $(value) takes it as typed, without make expanding $ in it, single quotes keep the shell out,
# and unexport stops make from expanding it for the environment (which would run a $(shell ...)).
unexport DATA_DIR
shell_quote = '$(subst ','\'',$(1))'
DATA_DIR_ARG = $(if $(value DATA_DIR),--data-dir $(call shell_quote,$(value DATA_DIR)))

run: $(STAMP)
	$(PYTHON) -m recsys.build $(DATA_DIR_ARG)

test: $(STAMP) $(CHROMIUM)
	$(PYTHON) -m pytest

# report.html beside the database (make run writes it too, after a successful build)
report: $(STAMP)
	$(PYTHON) -m recsys.report

grid: $(STAMP)
	$(PYTHON) -m recsys.build --grid $(DATA_DIR_ARG)

bench: $(STAMP)
	$(PYTHON) bench/run.py

docs: $(STAMP)
	$(VENV)/bin/dbt docs generate

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

$(CHROMIUM):
	$$([ "$$(id -u)" = 0 ] || echo sudo) sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'

clean:
	rm -rf $(VENV) target logs
