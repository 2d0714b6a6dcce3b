# `make run` builds everything on the embedded data (or on DATA_DIR); `make test` runs every test.
# Both create .venv on first use and reinstall only when requirements change.
VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Debian's Chromium for the report's browser test (playwright cannot download its own here)
CHROMIUM := /usr/bin/chromium
SPARK_STAMP := $(VENV)/.installed-spark
METRICS_STAMP := $(VENV)/.installed-metrics
DAGSTER_STAMP := $(VENV)/.installed-dagster
SUDO   := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run send replay test report grid bench docs metrics dagster clean

# DATA_DIR reaches Python as one argument, whatever it holds (spaces, quotes, $, backticks):
# $(value) takes it as typed, without make expanding $ in it, single quotes keep the shell out,
# and unexport stops make from expanding it for the environment (which would run a $(shell ...)).
unexport DATA_DIR
shell_quote = '$(subst ','\'',$(1))'
DATA_DIR_ARG = $(if $(value DATA_DIR),--data-dir $(call shell_quote,$(value DATA_DIR)))

# TARGET=spark builds the project on Spark (docs/spark.md).
TARGET ?= duckdb

# The entry points run with `exec`, so that make itself is their parent, and stop when make is
# killed (recsys.build.stop_with_parent). make exits 2 whenever a recipe fails, and prints the
# recipe's own code ("Error 3"): GNU make cannot pass a code through.
export RECSYS_STOP_WITH_PARENT := 1

run: $(STAMP) $(if $(filter spark,$(TARGET)),$(SPARK_STAMP))
	exec $(PYTHON) -m recsys.build --target $(TARGET) $(DATA_DIR_ARG)

# Record the production week's sends in the ledger beside the database (docs/campaigns.md);
# REPLACE=1 replaces the lists of a week recorded already, keeping the old rows.
send: $(STAMP)
	exec $(PYTHON) -m recsys.ledger $(if $(REPLACE),--replace)

# Replay the weekly campaign on past data into <database>.replay/: make replay FROM=37 WEEKS=17
FROM ?= 37
WEEKS ?= 17
replay: $(STAMP)
	exec $(PYTHON) -m recsys.replay --from-week $(FROM) --weeks $(WEEKS) $(DATA_DIR_ARG)

# the tests include the Spark build (tests/python/test_spark.py), so they need its packages,
# and the report's browser test, which needs Chromium, the semantic layer's (MetricFlow) and
# the orchestration's (Dagster)
test: $(STAMP) $(SPARK_STAMP) $(METRICS_STAMP) $(DAGSTER_STAMP) $(CHROMIUM)
	$(PYTHON) -m pytest

# <database>.report.html beside the database (make run writes it too, after a successful build)
report: $(STAMP)
	exec $(PYTHON) -m recsys.report

# TARGET=spark: MLlib's grid on Spark (README "The ALS grid search")
grid: $(STAMP) $(if $(filter spark,$(TARGET)),$(SPARK_STAMP))
	$(PYTHON) -m recsys.build --grid --target $(TARGET) $(DATA_DIR_ARG)

bench: $(STAMP)
	$(PYTHON) bench/run.py

docs: $(STAMP)
	$(VENV)/bin/dbt docs generate

# The semantic layer's metrics (docs/metrics.md): mf reads target/semantic_manifest.json, which
# dbt parse writes; `mf query` then reads the database that `make run` built.
metrics: $(METRICS_STAMP)
	$(VENV)/bin/dbt parse --quiet
	$(VENV)/bin/mf list metrics

# Dagster's UI and its daemon on localhost (docs/orchestration.md): the weekly job, its schedule
# and the sensor on DATA_DIR. Runs, logs and the schedule's state live in .dagster/.
DAGSTER_PORT ?= 3000
dagster: $(DAGSTER_STAMP)
	mkdir -p .dagster && cp dagster-instance.yaml .dagster/dagster.yaml
	$(if $(value DATA_DIR),DATA_DIR=$(call shell_quote,$(value DATA_DIR))) DAGSTER_HOME=$(CURDIR)/.dagster \
		exec $(VENV)/bin/dagster dev -m recsys.orchestration -h 127.0.0.1 -p $(DAGSTER_PORT)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

$(CHROMIUM):
	$$([ "$$(id -u)" = 0 ] || echo sudo) sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'

# The Spark target's packages, beside the DuckDB ones, and Java 17 when the machine has none
# (as root, or through sudo).
$(SPARK_STAMP): $(STAMP) requirements-spark.txt constraints.txt
	command -v java >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq openjdk-17-jre-headless; }
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-spark.txt -c constraints.txt
	touch $(SPARK_STAMP)

# MetricFlow (dbt-metricflow), beside the DuckDB packages; only for `make metrics` and `make test`.
$(METRICS_STAMP): $(STAMP) requirements-metrics.txt constraints.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-metrics.txt -c constraints.txt
	touch $(METRICS_STAMP)

# Dagster (dagster-dbt), beside the DuckDB packages; only for `make dagster` and `make test`.
$(DAGSTER_STAMP): $(STAMP) requirements-dagster.txt constraints.txt
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dagster.txt -c constraints.txt
	touch $(DAGSTER_STAMP)

clean:
	rm -rf $(VENV) .dagster target logs spark-warehouse recsys.duckdb.logs recsys.duckdb.target
