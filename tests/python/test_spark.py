"""The Spark target (README "Running on Spark"): what runs on Spark so far gives DuckDB's tables.

Once per module, the selector ``spark_ready`` (selectors.yml: raw readers, seeds, staging and the
intermediate models that read only staging, with their dbt tests) is built from the parquet
sample twice: on DuckDB in a subprocess, and on local Spark inside this process (dbt's own
runner), so that the Spark tables can be read afterwards through the same live SparkSession.
Every dbt test of the selection must pass on Spark, and every table and view must hold exactly
DuckDB's rows: same columns, and no row, nor any repeat of a row, on one side only.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from recsys.fixtures import BAD_CSV_CASES, make_bad_csv_case

from dbt.cli.main import dbtRunner
from pyspark.sql import SparkSession

SELECTOR = ["--selector", "spark_ready"]


@pytest.fixture(scope="module")
def spark_env(tmp_path_factory):
    """This module's Spark warehouse and dbt folders, set for the in-process dbt runs."""
    root = tmp_path_factory.mktemp("spark")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"RECSYS_SPARK_WAREHOUSE": root / "spark-warehouse",
                            "RECSYS_SPARK_MASTER": "local[2]",
                            "DBT_TARGET_PATH": root / "target", "DBT_LOG_PATH": root / "logs",
                            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}.items():
            patch.setenv(name, str(value))
        yield root


def spark_dbt(*args: str):
    return dbtRunner().invoke([*args, "--target", "spark"])


def failures(result) -> str:
    """What failed in a dbt run, for assertion messages."""
    if result.exception is not None:
        return repr(result.exception)
    return "\n".join(f"{node.node.name}: {node.status} {node.message}"
                     for node in (result.result or []) if str(node.status) not in ("pass", "success"))


@pytest.fixture(scope="module")
def built(spark_env, new_workspace, parquet_sample_dir):
    """The selection built on DuckDB (a workspace) and on Spark; the Spark build's result."""
    variables = ["--vars", json.dumps({"data_dir": str(parquet_sample_dir)})]
    workspace = new_workspace("spark_duckdb")
    run = workspace.dbt("build", *SELECTOR, *variables)
    assert run.returncode == 0, run.describe()
    result = spark_dbt("build", *SELECTOR, *variables)
    return workspace, result


def test_every_dbt_test_passes_on_spark(built):
    _, result = built
    assert result.success, failures(result)
    statuses = {node.node.name: str(node.status) for node in result.result}
    # the seed with an apostrophe ("store's restaurant") loads, the staging models read the
    # source raw, which the on-run-start hook loaded
    assert statuses["excluded_departments"] == "success"
    assert statuses["stg_transactions"] == "success"
    tests = [name for name, status in statuses.items() if status in ("pass", "warn")]
    assert len(tests) >= 30, statuses


def ported_relations(workspace) -> list[str]:
    con = workspace.connect()
    names = [row[0] for row in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main'").fetchall()]
    return sorted(names)


def test_spark_tables_equal_duckdb_tables(built):
    workspace, result = built
    assert result.success, failures(result)
    names = ported_relations(workspace)
    assert {"stg_transactions", "stg_transaction_checks", "int_item_price", "int_user_item_weeks",
            "int_user_price_profile", "int_promo_calendar", "excluded_departments"} <= set(names)
    spark = SparkSession.builder.getOrCreate()
    con = duckdb.connect(str(workspace.database), read_only=True)
    for name in names:
        duck = con.sql(f"select * from main.{name}").to_arrow_table()
        spark_rows = spark.table(f"recsys.{name}").toArrow()
        assert spark_rows.column_names == duck.column_names, name
        assert spark_rows.num_rows == duck.num_rows > 0, name
        compare = duckdb.connect()
        compare.register("duck", duck)
        compare.register("spark_rows", spark_rows)
        only_duck, only_spark = compare.execute(
            "select (select count(*) from (from duck except all from spark_rows)),"
            " (select count(*) from (from spark_rows except all from duck))").fetchone()
        assert (only_duck, only_spark) == (0, 0), f"{name}: {only_duck} rows only on DuckDB, {only_spark} only on Spark"


def test_bad_input_on_spark_gives_the_same_line(built, spark_env, csv_sample_dir, tmp_path, capfd):
    """The on-run-start check runs on Spark too: the first error line names the file and the
    problem, and no model runs."""
    expected = BAD_CSV_CASES["text_in_number"]
    data_dir = make_bad_csv_case("text_in_number", csv_sample_dir, tmp_path / "data")

    result = spark_dbt("build", *SELECTOR, "--vars", json.dumps({"data_dir": str(data_dir)}))

    assert not result.success
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("error: ")]
    assert errors, "no error line"
    assert expected.file in errors[0] and expected.problem in errors[0], errors[0]
    ran = [node.node.name for node in result.result or [] if str(node.status) != "skipped"]
    assert ran == [], ran


def test_session_helper_is_the_default_only_for_session_connections():
    """dbt_recsys_spark adds the session method and leaves Databricks' methods as they were."""
    from types import SimpleNamespace

    import dbt_recsys_spark
    from dbt.adapters.spark.impl import SparkAdapter

    def adapter(method: str):
        return SimpleNamespace(config=SimpleNamespace(credentials=SimpleNamespace(method=method)))

    helpers = SparkAdapter.python_submission_helpers.fget(None)
    assert helpers["session"] is dbt_recsys_spark.SessionPythonJobHelper
    assert {"job_cluster", "all_purpose_cluster"} <= set(helpers)
    default = SparkAdapter.default_python_submission_method.fget
    assert default(adapter("session")) == "session"
    assert default(adapter("http")) == "all_purpose_cluster"
    assert "recsys_input_problem" in SparkAdapter._available_
