"""dbt Python models and the input check on open-source Spark (dbt-spark's ``session`` method).

dbt-spark submits Python models only to Databricks (its helpers ``all_purpose_cluster`` and
``job_cluster`` call the Databricks REST API); with ``method: session`` a Python model fails with
"Submission method session is not supported" (dbt-spark issue 415). This module closes that gap,
all in this one file, so that it can be deleted when dbt-spark ships a session helper:

* :class:`SessionPythonJobHelper` runs the compiled model in the dbt process, with the live
  ``SparkSession`` that the session connection already uses; it is the default submission method
  when the profile's method is ``session`` (the Databricks ones stay as they are);
* ``adapter.recsys_input_problem(data_dir, ...)`` lets the on-run-start hook run the same input check
  as on DuckDB (macros/check_inputs.sql), where DuckDB calls the plugin's SQL function.

How it is registered: dbt imports every top-level module whose name starts with ``dbt_`` when it
starts (its plugin discovery, dbt.plugins.manager), and ``src`` is on the path of the editable
install. Without dbt-spark installed this module does nothing.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import duckdb

try:
    from dbt.adapters.base import PythonJobHelper
    from dbt.adapters.spark.impl import SparkAdapter
except ImportError:  # the DuckDB-only install
    SparkAdapter = None
    PythonJobHelper = object

SESSION = "session"

# The executors' Python workers run recsys code (the ranker's scoring, mapInArrow): by default
# they use this interpreter, the project's venv, where recsys is installed. On a cluster whose
# machines keep it elsewhere, set PYSPARK_PYTHON or spark.pyspark.python (docs/spark.md).
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


class SessionPythonJobHelper(PythonJobHelper):
    """Run a compiled dbt Python model with the dbt process's own SparkSession."""

    def __init__(self, parsed_model: dict, credentials: Any) -> None:
        self.parsed_model = parsed_model
        self.credentials = credentials

    def submit(self, compiled_code: str) -> None:
        from pyspark.sql import SparkSession

        # the session connection created it (dbt.adapters.spark.session), with the profile's
        # settings; getActiveSession() is None in the model's worker thread
        spark = SparkSession.builder.getOrCreate()
        # the compiled code defines model() and dbtObj, then writes the result with spark
        # (dbt-spark's py_write_table macro); its file name shows in a traceback
        path = self.parsed_model.get("original_file_path", self.parsed_model.get("alias", "model"))
        exec(compile(compiled_code, path, "exec"), {"spark": spark, "__name__": "__dbt_model__"})


def _input_problem(self, data_dir: str, horizon_weeks: int, backtest_folds: int) -> str:
    from recsys.dbt_plugin import input_problem

    return input_problem(data_dir, horizon_weeks, backtest_folds)


def _load_raw(self, data_dir: str, last_data_week: int) -> str:
    """Load the raw files as the tables of the dbt source ``raw``, and the campaign ledger as
    those of the source ``ledger``, and return the hook's SQL.

    Spark cannot run DuckDB's readers in a view, so DuckDB reads the files on the driver with the
    same SQL (recsys.sources.READERS: the types and values of the DuckDB build) and writes each
    entity as parquet into a staging folder inside the warehouse, streaming; the executors read
    that parquet and save the table. So no raw row passes through the driver's Python or JVM
    memory (tests/python/test_spark_driver.py), on a cluster as locally; the staging folder is
    deleted afterwards. The ledger is parquet, which Spark reads itself.
    """
    from pyspark.sql import SparkSession

    from recsys import dbt_plugin, ledger, sources

    spark = SparkSession.builder.getOrCreate()
    spark.sql(f"create database if not exists {sources.RAW_SCHEMA}")
    staging = _raw_staging_folder(spark)
    source = sources.locate(data_dir or None)
    con = duckdb.connect()
    # DuckDB's share of the driver process: bounded, it spills beyond (the promotion calendar's
    # aggregate); the order of the rows does not matter to a table
    con.execute("set memory_limit = '1GB'; set preserve_insertion_order = false; "
                "set enable_progress_bar = false")
    try:
        for entity, reader in sources.READERS.items():
            path = staging / f"{entity}.parquet"
            con.execute(f"copy ({reader(source)}) to {sources.sql_string(path)} (format parquet)")
            frame = spark.read.parquet(str(path))
            if entity == "transactions" and last_data_week:
                frame = frame.filter(f"week <= {int(last_data_week)}")
            frame.write.mode("overwrite").saveAsTable(f"{sources.RAW_SCHEMA}.{entity}")
    finally:
        con.close()
        shutil.rmtree(staging, ignore_errors=True)
    spark.sql(f"create database if not exists {ledger.LEDGER_SCHEMA}")
    for entity, select in ledger.spark_sources(spark, dbt_plugin.ledger_folder()).items():
        select.write.mode("overwrite").saveAsTable(f"{ledger.LEDGER_SCHEMA}.{entity}")
    return "select 1"


def _raw_staging_folder(spark) -> Path:
    """A new folder for the raw files' parquet inside the warehouse folder, which the executors
    read (on a cluster: shared storage mounted at the same path on every machine)."""
    warehouse = spark.conf.get("spark.sql.warehouse.dir")
    parsed = urlparse(warehouse)
    if parsed.scheme not in ("", "file"):
        raise ValueError(f"the raw files are staged through a local folder; the warehouse {warehouse} "
                         "is not one (docs/spark.md, On a real cluster)")
    folder = Path(unquote(parsed.path)) / "_raw_staging"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def register() -> None:
    if SparkAdapter is None or SESSION in SparkAdapter.python_submission_helpers.fget(None):
        return
    helpers = SparkAdapter.python_submission_helpers.fget
    default = SparkAdapter.default_python_submission_method.fget
    SparkAdapter.python_submission_helpers = property(
        lambda self: {**helpers(self), SESSION: SessionPythonJobHelper})
    SparkAdapter.default_python_submission_method = property(
        lambda self: SESSION if self.config.credentials.method == SESSION else default(self))
    # what @available does on a method defined in the class body
    SparkAdapter.recsys_input_problem = _input_problem
    SparkAdapter.recsys_load_raw = _load_raw
    SparkAdapter._available_ = SparkAdapter._available_ | {"recsys_input_problem", "recsys_load_raw"}


register()
