# `make run` builds everything on the embedded data (or on DATA_DIR); `make test` runs every test.
# Both create .venv on first use and reinstall only when requirements change.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Debian's Chromium for the report's browser test (playwright cannot download its own here)
CHROMIUM := /usr/bin/chromium

.PHONY: run test report grid bench docs clean

run: $(STAMP)
	$(PYTHON) -m recsys.build $(if $(DATA_DIR),--data-dir "$(DATA_DIR)")

test: $(STAMP) $(CHROMIUM)
	$(PYTHON) -m pytest

# report.html beside the database (make run writes it too, after a successful build)
report: $(STAMP)
	$(PYTHON) -m recsys.report

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

$(CHROMIUM):
	$$([ "$$(id -u)" = 0 ] || echo sudo) sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'

clean:
	rm -rf $(VENV) target logs
