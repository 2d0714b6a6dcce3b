"""What a dbt Python model needs from its engine, the same on DuckDB and on Spark.

dbt hands a Python model the target's session: a DuckDB connection (``dbt.ref`` gives DuckDB
relations) or a SparkSession (Spark DataFrames). Both have ``filter`` and ``select`` with SQL
strings; the models read their inputs into Arrow with :func:`to_arrow`, compute, and give the
result back to dbt with :func:`from_arrow`.
"""

from __future__ import annotations

import pyarrow as pa


def is_spark(session) -> bool:
    """True for a SparkSession or a Spark DataFrame (pyspark is installed for Spark only)."""
    return type(session).__module__.startswith("pyspark.")


def to_arrow(relation) -> pa.Table:
    """A DuckDB relation or a Spark DataFrame as an Arrow table (collected on the driver)."""
    return relation.toArrow() if is_spark(relation) else relation.to_arrow_table()


def from_arrow(table: pa.Table, session):
    """An Arrow table as the model's result: dbt-duckdb writes Arrow itself, dbt-spark needs a
    Spark DataFrame."""
    return session.createDataFrame(table) if is_spark(session) else table
