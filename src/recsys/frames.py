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

import logging
import re
from typing import Iterator

import duckdb
import pyarrow as pa

log = logging.getLogger(__name__)


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


def with_memory_limit(reader: pa.RecordBatchReader, session, limit: str, restore_to: str) -> pa.RecordBatchReader:
    """``reader``, read while DuckDB's memory limit is ``limit``, and back at ``restore_to`` (the
    profile's limit) once it is read or closed. DuckDB keeps the pages it has read cached up to its
    limit, beside what a Python model holds itself: at 100x, 5 GB beside the ALS fit's 2.7 GB
    (bench/scale.md, bench/history.md). Lowering the limit evicts them and keeps the other dbt thread's queries
    within it. When the queries running now hold more than ``limit``, DuckDB refuses; the limit
    is tried again before each batch. A ``limit`` not below ``restore_to`` changes nothing."""
    if memory_bytes(limit) >= memory_bytes(restore_to):
        return reader
    cursor = _cursor(session)

    def batches() -> Iterator[pa.RecordBatch]:
        lowered = False
        try:
            while True:
                # before each batch is read: the first reads and fits a cutoff, the memory's peak
                lowered = lowered or _set_memory_limit(cursor, limit)
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                yield batch
        finally:
            cursor.execute(f"set memory_limit = '{restore_to}'")

    return pa.RecordBatchReader.from_batches(reader.schema, batches())


def _set_memory_limit(cursor, limit: str) -> bool:
    """True once DuckDB's memory limit is ``limit``; False when its queries hold more than that now."""
    try:
        cursor.execute(f"set memory_limit = '{limit}'")
    except duckdb.OutOfMemoryException as error:
        log.info("DuckDB's memory limit stays as it is for now: %s", str(error).splitlines()[0])
        return False
    return True


_MEMORY_UNITS = {"b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
                 "kib": 2 ** 10, "mib": 2 ** 20, "gib": 2 ** 30, "tib": 2 ** 40}


def memory_bytes(size: str) -> float:
    """Bytes of a DuckDB memory size such as ``5GB`` or ``4.6 GiB``; ValueError for anything else."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", str(size))
    if not match or match.group(2).lower() not in _MEMORY_UNITS:
        raise ValueError(f"{size!r} is not a memory size (a number and KB, MB, GB, TB, KiB, MiB, GiB or TiB)")
    return float(match.group(1)) * _MEMORY_UNITS[match.group(2).lower()]


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
