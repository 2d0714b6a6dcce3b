"""What a dbt Python model needs from its engine, the same on DuckDB and on Spark.

dbt hands a Python model the target's session: a DuckDB connection (``dbt.ref`` gives DuckDB
relations) or a SparkSession (Spark DataFrames). Both have ``filter`` and ``select`` with SQL
strings; the models read their inputs into Arrow with :func:`to_arrow`, compute, and give the
result back to dbt with :func:`from_arrow`. On Spark both move rows through the driver, so they
are for bounded relations only (cutoff weeks, a bounded training sample, per-group aggregates;
tests/python/test_spark_driver.py keeps the list): a relation that grows with the customers is
computed on the executors (recsys.ranker.spark_scores, MLlib in recsys.als) or aggregated in SQL.
"""

from __future__ import annotations

from typing import Iterator

import pyarrow as pa


def is_spark(session) -> bool:
    """True for a SparkSession or a Spark DataFrame (pyspark is installed for Spark only)."""
    return type(session).__module__.startswith("pyspark.")


def to_arrow(relation) -> pa.Table:
    """A DuckDB relation or a Spark DataFrame as an Arrow table (collected on the driver)."""
    return relation.toArrow() if is_spark(relation) else relation.to_arrow_table()


def record_batches(relation, session, rows: int) -> Iterator[pa.RecordBatch]:
    """A DuckDB relation as Arrow batches of at most ``rows`` rows, streamed through a cursor of the
    session, so that a model can read them while dbt is already writing its result (see
    :func:`from_arrow` with a RecordBatchReader). Not for Spark: collecting a frame that grows with
    the data onto the driver is what the Spark path must not do (tests/python/test_spark_driver.py);
    compute per batch on the executors instead (``mapInArrow``, as recsys.ranker.spark_scores)."""
    if is_spark(relation):
        raise TypeError("record_batches streams DuckDB relations; on Spark, compute on the "
                        "executors (DataFrame.mapInArrow) instead of collecting the frame")
    yield from _cursor(session).sql(relation.sql_query()).to_arrow_reader(rows)


def to_arrow_beside(relation, session) -> pa.Table:
    """:func:`to_arrow` for a model that reads while dbt is already writing its result (a stream of
    batches, see :func:`from_arrow`): on DuckDB through a cursor of the session."""
    if is_spark(relation):
        return relation.toArrow()
    return _cursor(session).sql(relation.sql_query()).to_arrow_table()


def _cursor(session):
    cursor = session.cursor()
    cursor.execute("set enable_progress_bar = false")  # a cursor would draw its own on stderr
    return cursor


def from_arrow(table: pa.Table | pa.RecordBatchReader, session):
    """An Arrow table or a RecordBatchReader as the model's result: dbt-duckdb writes Arrow itself
    (a reader streams, batch by batch, into the table), dbt-spark needs a Spark DataFrame."""
    if not is_spark(session):
        return table
    return session.createDataFrame(table.read_all() if isinstance(table, pa.RecordBatchReader) else table)
