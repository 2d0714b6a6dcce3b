"""ALS candidates: the customer x item matrix, the fit and a batch top-N for every customer.

The model is implicit-feedback matrix factorisation as in Hu, Koren and Volinsky, "Collaborative
Filtering for Implicit Feedback Datasets" (ICDM 2008), fitted by ``implicit`` 0.7's
:class:`implicit.cpu.als.AlternatingLeastSquares` (conjugate-gradient steps of Takacs, Pilaszy
and Tikk, RecSys 2011). A cell of the matrix is a purchase weight; implicit turns it into the
paper's confidence ``c_ui`` by multiplying it with ``alpha``, and every empty cell is a
"not bought" with confidence 1.

Reproducibility: with a fixed ``random_state`` the factors are bit-identical run to run and for
any ``threads`` (checked on the Complete Journey matrix with 1 and 2 threads: every user solve
and every top-k row is computed by one thread alone, so the thread count changes only who
computes a row, not the arithmetic). BLAS is held to one thread during the fit, as implicit
recommends (it warns otherwise).

Logging goes to the ``recsys.als`` logger: one INFO line per fit with users, items, non-zero
cells and seconds. A dbt Python model calls :func:`recsys.dbt_model.log_to_dbt` first, and the lines
appear in dbt's output and in logs/dbt.log.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from implicit.nearest_neighbours import bm25_weight, tfidf_weight
from threadpoolctl import threadpool_limits

from recsys import frames
from recsys.dbt_model import as_int, typed_config

log = logging.getLogger("recsys.als")

WEIGHTINGS = ("none", "bm25", "tfidf")

CANDIDATES_SCHEMA = pa.schema([
    ("cutoff_week", pa.int32()),
    ("user_id", pa.int64()),
    ("item_id", pa.int64()),
    ("als_score", pa.float64()),
    ("als_rank", pa.int32()),
])


@dataclass(frozen=True)
class AlsParams:
    """The hyper-parameters of one ALS fit; the defaults are those of dbt_project.yml.

    factors: int
        Length of every customer and item vector.
    regularization: float
        The paper's lambda, the L2 penalty on the factors.
    iterations: int
        Alternating sweeps; each solves every customer, then every item.
    alpha: float
        Confidence scale: an observed cell counts ``alpha * weight`` (implicit's form of the
        paper's ``1 + alpha * r``), an empty cell 1.
    weighting: str
        ``none``; ``bm25`` or ``tfidf``: implicit's weighting applied to the item x customer
        matrix (items as documents, customers as terms, as the course notebook did), which damps
        heavy buyers and items everybody buys.
    random_state: int
        Seed of the initial factors.
    threads: int
        Threads of the fit and of the batch top-N; 0 means every core.
    """

    factors: int = 32
    regularization: float = 0.01
    iterations: int = 15
    alpha: float = 1.0
    weighting: str = "none"
    random_state: int = 42
    threads: int = 0

    def __post_init__(self):
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"ALS weighting {self.weighting!r} is not one of {', '.join(WEIGHTINGS)}")
        if self.factors < 1 or self.iterations < 1:
            raise ValueError(f"ALS factors ({self.factors}) and iterations ({self.iterations}) must be >= 1")
        if self.regularization < 0 or self.alpha <= 0 or self.threads < 0:
            raise ValueError(f"ALS regularization ({self.regularization}) and threads ({self.threads}) "
                             f"must be >= 0 and alpha ({self.alpha}) > 0")

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> AlsParams:
        """Parameters from a mapping of field name to value; None or missing keeps the default.

        dbt renders vars into model config as text, so every value is converted to the field's
        type here ("64" -> 64, "0.01" -> 0.01, " BM25 " -> "bm25").
        """
        return cls(**typed_config(cls, config, "ALS parameter"))


@dataclass(frozen=True)
class InteractionMatrix:
    """A sparse customer x item matrix and the ids of its rows and columns.

    ``matrix[row, col]`` is the weight of customer ``user_ids[row]`` and item ``item_ids[col]``;
    both id arrays are sorted, so :meth:`item_index` and :meth:`user_index` are binary searches.
    """

    matrix: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray

    def user_index(self, user_ids) -> np.ndarray:
        """Row of every id in ``user_ids``; -1 for an id that is not in the matrix."""
        return _positions(self.user_ids, user_ids)

    def item_index(self, item_ids) -> np.ndarray:
        """Column of every id in ``item_ids``; -1 for an id that is not in the matrix."""
        return _positions(self.item_ids, item_ids)


def _positions(sorted_ids: np.ndarray, ids) -> np.ndarray:
    ids = np.asarray(ids, dtype=np.int64)
    where = np.searchsorted(sorted_ids, ids).clip(max=max(len(sorted_ids) - 1, 0))
    found = len(sorted_ids) > 0 and sorted_ids[where] == ids
    return np.where(found, where, -1)


def build_matrix(interactions: pa.Table) -> InteractionMatrix:
    """The customer x item CSR matrix of an Arrow table with ``user_id``, ``item_id``, ``weight``.

    One row per customer and item is expected (int_interactions' grain); a repeated pair or a
    weight that is not a positive number raises ValueError instead of being silently summed.
    """
    missing = {"user_id", "item_id", "weight"} - set(interactions.column_names)
    if missing:
        raise ValueError(f"interactions lack column(s) {', '.join(sorted(missing))}")
    if interactions.num_rows == 0:
        raise ValueError("interactions are empty: nothing to fit")
    for name in ("user_id", "item_id", "weight"):
        if interactions[name].null_count:
            raise ValueError(f"interactions: {interactions[name].null_count} null value(s) in {name}")
    # a cast, not numpy's astype: a decimal weight column converts in Arrow, not per Python object
    weights = pc.cast(interactions["weight"], pa.float64()).to_numpy()
    bad = ~(weights > 0) | ~np.isfinite(weights)
    if bad.any():
        raise ValueError(f"interactions: {int(bad.sum())} weight(s) are not positive finite numbers, "
                         f"e.g. {weights[bad][0]!r}")

    user_ids, rows = _ids_and_positions(interactions["user_id"])
    item_ids, cols = _ids_and_positions(interactions["item_id"])
    matrix = sp.csr_matrix((weights.astype(np.float32), (rows, cols)),
                           shape=(len(user_ids), len(item_ids)))
    if matrix.nnz != interactions.num_rows:
        raise ValueError(f"interactions: {interactions.num_rows - matrix.nnz} repeated (user_id, item_id) "
                         f"pair(s); expected one row per customer and item")
    matrix.sort_indices()
    return InteractionMatrix(matrix, user_ids, item_ids)


def _ids_and_positions(ids: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct ``ids`` and the int32 position of every id among them, by hash look-up:
    np.unique(return_inverse=True) sorted int64 copies of every id instead, which at 100x (46 M
    cells per cutoff) held 1.6 GB more beside DuckDB and took 25 s longer (bench/history.md)."""
    ids = pc.cast(ids, pa.int64())
    distinct = np.sort(pc.unique(ids).to_numpy())
    return distinct, pc.index_in(ids, value_set=pa.array(distinct)).to_numpy()


def weight_matrix(matrix: sp.csr_matrix, weighting: str) -> sp.csr_matrix:
    """``matrix`` re-weighted by ``weighting`` (none, bm25, tfidf) as float32 CSR.

    BM25 and TF-IDF treat items as documents and customers as terms, so they are applied to the
    transposed matrix; BM25 uses implicit's defaults K1=100, B=0.8.
    """
    if weighting == "none":
        weighted = matrix
    elif weighting == "bm25":
        weighted = bm25_weight(matrix.T).T
    elif weighting == "tfidf":
        weighted = tfidf_weight(matrix.T).T
    else:
        raise ValueError(f"ALS weighting {weighting!r} is not one of {', '.join(WEIGHTINGS)}")
    return sp.csr_matrix(weighted, dtype=np.float32)


def new_model(params: AlsParams) -> AlternatingLeastSquares:
    """An unfitted CPU model for ``params`` (the GPU is never used: results must not depend on it)."""
    # implicit warns at construction when BLAS may use several threads; fit() holds it to one
    with threadpool_limits(1, "blas"):
        return AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=params.iterations,
            random_state=params.random_state,
            num_threads=params.threads,
        )


def fit(model: AlternatingLeastSquares, matrix: sp.csr_matrix, iterations: int | None = None) -> float:
    """Run ``iterations`` (default: the model's own) ALS sweeps on ``matrix``; return the seconds.

    A model that already has factors continues from them: implicit 0.7.3 initialises factors
    only when they are None, so fitting 10 then 5 more sweeps gives exactly the factors of 15.
    """
    if iterations is not None:
        model.iterations = iterations
    started = time.perf_counter()
    with threadpool_limits(1, "blas"):
        model.fit(matrix, show_progress=False)
    return time.perf_counter() - started


def top_n(model: AlternatingLeastSquares, interactions: InteractionMatrix, rows: np.ndarray, n: int,
          exclude_item_ids=()) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` best columns and scores for every row in ``rows``, in one batch call.

    Items a customer bought stay eligible (they are candidates for the promo slot; later
    models decide what is new). Items in ``exclude_item_ids`` that are in the matrix are never
    returned. ``n`` is capped at the number of eligible items, so every row has the same length.
    """
    excluded = interactions.item_index(exclude_item_ids)
    excluded = np.unique(excluded[excluded >= 0]).astype(np.int32)
    n = min(n, interactions.matrix.shape[1] - len(excluded))
    if n < 1:
        raise ValueError("no item is left to recommend after the exclusions")
    rows = np.asarray(rows, dtype=np.int64)
    cols, scores = model.recommend(
        rows, interactions.matrix[rows], N=n, filter_already_liked_items=False,
        filter_items=excluded if len(excluded) else None,
    )
    return cols, scores


# Customers whose candidates are computed and handed to dbt at a time: at 100x a cutoff has
# 246,700 customers and 49 M candidates, which as one table held 1.6 GB beside the fit.
USERS_PER_BATCH = 25_000


def candidates(interactions: pa.Table, params: AlsParams, n: int, bucket_item_id: int,
               cutoff_week: int) -> pa.Table:
    """Fit ALS on one cutoff's interactions and return the top ``n`` items of every customer.

    Returns an Arrow table with ``CANDIDATES_SCHEMA``: one row per customer and rank 1..n, best
    first. The placeholder item ``bucket_item_id`` (all items outside the top-N) shapes the fit
    but is never a candidate. :func:`candidate_batches` gives the same rows batch by batch.
    """
    batches = candidate_batches(interactions, params, n, bucket_item_id, cutoff_week)
    return pa.Table.from_batches(list(batches), schema=CANDIDATES_SCHEMA)


def candidate_batches(interactions: pa.Table, params: AlsParams, n: int, bucket_item_id: int,
                      cutoff_week: int, users_per_batch: int = USERS_PER_BATCH) -> Iterator[pa.RecordBatch]:
    """:func:`candidates` as record batches of ``users_per_batch`` customers each, computed as they
    are read. The interactions are let go once the matrix is built (the generator holds the only
    reference when called as ``candidate_batches(read(), ...)``), so that memory holds the matrix,
    the model and one batch instead of the input table and every candidate."""
    built = build_matrix(interactions)
    del interactions
    model = new_model(params)
    seconds = fit(model, weight_matrix(built.matrix, params.weighting))
    log.info("ALS cutoff %s: %d users, %d items, %d non-zero cells, fit %.1f s (%s)",
             cutoff_week, built.matrix.shape[0], built.matrix.shape[1], built.matrix.nnz, seconds, params)
    for start in range(0, built.matrix.shape[0], users_per_batch):
        rows = np.arange(start, min(start + users_per_batch, built.matrix.shape[0]))
        cols, scores = top_n(model, built, rows, n, exclude_item_ids=[bucket_item_id])
        per_user = cols.shape[1]
        yield pa.record_batch({
            "cutoff_week": pa.array(np.full(cols.size, cutoff_week, dtype=np.int32)),
            "user_id": pa.array(np.repeat(built.user_ids[rows], per_user)),
            "item_id": pa.array(built.item_ids[cols.ravel()]),
            "als_score": pa.array(scores.ravel().astype(np.float64)),
            "als_rank": pa.array(np.tile(np.arange(1, per_user + 1, dtype=np.int32), len(rows))),
        }, schema=CANDIDATES_SCHEMA)


def candidates_per_cutoff(interactions, params: AlsParams, n: int | str, bucket_item_id: int | str):
    """:func:`candidates` for every ``cutoff_week`` of ``interactions``, one fit per cutoff.

    ``interactions`` is an Arrow table (fitted by implicit on this machine) or a Spark DataFrame
    of int_als_matrix (fitted by Spark MLlib's ALS, :func:`mllib_candidates_per_cutoff`); the
    result is of the same kind. ``n`` and ``bucket_item_id`` may be text, as dbt renders vars.
    """
    if frames.is_spark(interactions):
        n, bucket_item_id = as_int(n, "als_candidates"), as_int(bucket_item_id, "bucket_item_id")
        return mllib_candidates_per_cutoff(interactions, params, n, bucket_item_id)
    if "cutoff_week" not in interactions.column_names:
        raise ValueError("interactions lack column cutoff_week")
    weeks = pc.unique(interactions["cutoff_week"]).to_pylist()
    return candidate_stream(
        weeks, lambda week: interactions.filter(pc.equal(interactions["cutoff_week"], week)),
        params, n, bucket_item_id).read_all()


def candidate_stream(cutoffs, interactions_at: Callable[[int], pa.Table], params: AlsParams,
                     n: int | str, bucket_item_id: int | str) -> pa.RecordBatchReader:
    """:func:`candidates` of every cutoff in ``cutoffs`` (fitted on ``interactions_at(cutoff)``),
    as a stream that reads and fits a cutoff when its rows are read: memory holds one cutoff's
    matrix and one batch of its candidates at a time instead of all of them (at 100x, 47 M cells
    and 49 M candidates per cutoff, four cutoffs)."""
    n, bucket_item_id = as_int(n, "als_candidates"), as_int(bucket_item_id, "bucket_item_id")

    def batches() -> Iterator[pa.RecordBatch]:
        for week in sorted(cutoffs):
            yield from candidate_batches(interactions_at(week), params, n, bucket_item_id, week)

    return pa.RecordBatchReader.from_batches(CANDIDATES_SCHEMA, batches())


def mllib_candidates_per_cutoff(matrix, params: AlsParams, n: int, bucket_item_id: int):
    """The candidates of :func:`candidates`, fitted by Spark MLlib's ALS on a Spark DataFrame.

    ``matrix`` has int_als_matrix's columns: ``user_key`` and ``item_key`` are dense integer keys
    per cutoff (MLlib needs ids that fit an int). ``implicitPrefs`` gives the same model family as
    implicit, but not the same numbers: MLlib's confidence is 1 + alpha x weight and it scales the
    regularization by each row's count (ALS-WR), so its parameters are tuned apart (README
    "Running on Spark"); ``weighting`` (bm25, tfidf) has no MLlib counterpart and is refused.
    The fit and the top-N run on the cluster; nothing is collected but the cutoff weeks.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    weeks = sorted(row[0] for row in matrix.select("cutoff_week").distinct().collect())
    per_cutoff = []
    for week in weeks:
        cells = matrix.filter(F.col("cutoff_week") == week)
        model, seconds = mllib_fit(cells, params)
        users = cells.select("user_key", "user_id").distinct()
        items = cells.select("item_key", "item_id").distinct()
        # one more than n: the placeholder item may be among the best, and is dropped
        best = (model.recommendForAllUsers(n + 1)
                .select("user_key", F.explode("recommendations").alias("recommendation"))
                .select("user_key", F.col("recommendation.item_key").alias("item_key"),
                        F.col("recommendation.rating").cast("double").alias("als_score"))
                .join(users, "user_key").join(items, "item_key")
                .filter(F.col("item_id") != bucket_item_id))
        by_score = Window.partitionBy("user_id").orderBy(F.col("als_score").desc(), F.col("item_id"))
        per_cutoff.append(
            best.withColumn("als_rank", F.row_number().over(by_score).cast("int"))
            .filter(F.col("als_rank") <= n)
            .select(F.lit(week).cast("int").alias("cutoff_week"), F.col("user_id").cast("bigint"),
                    F.col("item_id").cast("bigint"), "als_score", "als_rank"))
        log.info("MLlib ALS cutoff %s: fit %.1f s (%s)", week, seconds, params)
    if not per_cutoff:
        raise ValueError("interactions are empty: nothing to fit")
    result = per_cutoff[0]
    for frame in per_cutoff[1:]:
        result = result.unionByName(frame)
    return result


def mllib_fit(cells, params: AlsParams):
    """MLlib's implicit ALS fitted on a DataFrame of ``user_key``, ``item_key``, ``weight``; the
    model and the seconds of the fit (which computes the factors). bm25 and tfidf have no MLlib
    counterpart and are refused."""
    from pyspark.ml.recommendation import ALS

    if params.weighting != "none":
        raise ValueError(f"ALS weighting {params.weighting!r}: Spark MLlib's ALS has none, use 'none'")
    started = time.perf_counter()
    model = ALS(rank=params.factors, regParam=params.regularization, maxIter=params.iterations,
                alpha=params.alpha, seed=params.random_state, implicitPrefs=True,
                userCol="user_key", itemCol="item_key", ratingCol="weight").fit(cells)
    return model, time.perf_counter() - started


def mllib_cells(session, matrix: sp.csr_matrix):
    """The cells of ``matrix`` as a Spark DataFrame for :func:`mllib_fit`: its rows and columns
    are the keys."""
    cells = matrix.tocoo()
    return session.createDataFrame(pa.table({
        "user_key": pa.array(cells.row.astype(np.int32)),
        "item_key": pa.array(cells.col.astype(np.int32)),
        "weight": pa.array(cells.data.astype(np.float64)),
    }))
