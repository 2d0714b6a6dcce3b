"""The course's ALS grid search, done in batch: factors x regularization x iterations x weighting.

For one backtest cutoff, every configuration is fitted on the interactions up to the cutoff and
scored by the top ``K`` = 5 items of every evaluated customer (the customers of ``ground_truth``)
with the course's formulas:

* precision@k = hits / k
* money precision@k = sum of the prices of the hits / sum of the prices of the k recommended items

averaged over the evaluated customers. What makes it cheap compared with the notebook's loop:

* the matrix is built once per weighting, not once per configuration;
* the iteration counts share one fit: a model fitted for 10 sweeps is scored, then continued by
  5 more sweeps (implicit 0.7.3 continues from existing factors, and 10 + 5 sweeps give exactly
  the factors of a fresh 15-sweep fit with the same seed), scored again, and so on;
* every customer's top-k comes from one batch ``recommend`` call and the hits from one
  ``np.isin``, with no Python loop over customers.

``fit_seconds`` of a configuration is the time of all the sweeps that produced it (10 + 5 for
15 iterations): what a fresh fit of that configuration costs.

Handed a Spark DataFrame of the interactions, the grid is MLlib's (the spark target): every
configuration is a fresh ``ALS(implicitPrefs=True).fit`` (MLlib cannot continue a fit), each
customer's top ``K`` comes from one ``recommendForUserSubset`` on the cluster, and the same
:func:`score_top_k` scores it. MLlib's grid is on its own scale: it multiplies the regularization
by each row's count (ALS-WR) and builds its confidence as 1 + alpha x weight, so alpha is searched
too, and it has no bm25.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from itertools import product

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from recsys import als, frames

log = logging.getLogger("recsys.grid")

FACTORS = (32, 64, 128)
REGULARIZATIONS = (0.0001, 0.001, 0.01)
ITERATIONS = (10, 15, 20)
WEIGHTINGS = ("none", "bm25")
# MLlib's grid: 12 fresh fits, 8 minutes on the embedded data on 2 busy cores (README)
MLLIB_FACTORS = (32, 64)
MLLIB_REGULARIZATIONS = (0.01, 0.1, 1.0)
MLLIB_ITERATIONS = (10,)
MLLIB_ALPHAS = (1.0, 10.0)
# The e-mail holds five items; the output columns are named for it.
K = 5

GRID_SCHEMA = pa.schema([
    ("cutoff_week", pa.int32()),
    ("weighting", pa.string()),
    ("factors", pa.int32()),
    ("regularization", pa.float64()),
    ("alpha", pa.float64()),
    ("iterations", pa.int32()),
    ("n_users", pa.int64()),
    ("precision_at_5", pa.float64()),
    ("money_precision_at_5", pa.float64()),
    ("fit_seconds", pa.float64()),
    ("rank", pa.int32()),
])


def score_top_k(recommended: np.ndarray, truth_rows: np.ndarray, truth_cols: np.ndarray,
                item_prices: np.ndarray) -> tuple[float, float]:
    """Mean precision@k and money precision@k of ``recommended`` against the truth pairs.

    recommended: (customers, k) array of item columns, row r being customer r's top-k.
    truth_rows, truth_cols: the (customer row, item column) pairs bought in the test window; a
        bought item outside the matrix has no column and can never be a hit, so leave it out.
    item_prices: price of every item column; a recommended item must have a positive price.
    """
    customers, k = recommended.shape
    if customers == 0:
        raise ValueError("no evaluated customers to score")
    n_cols = len(item_prices)
    truth_keys = np.asarray(truth_rows, dtype=np.int64) * n_cols + np.asarray(truth_cols, dtype=np.int64)
    recommended_keys = np.arange(customers, dtype=np.int64)[:, None] * n_cols + recommended
    hits = np.isin(recommended_keys, truth_keys)

    prices = item_prices[recommended]
    if not np.all(prices > 0):
        unpriced = np.unique(recommended[~(prices > 0)])
        raise ValueError(f"{len(unpriced)} recommended item column(s) have no positive price, "
                         f"e.g. column {unpriced[0]}")
    precision = hits.sum(axis=1) / k
    money_precision = (prices * hits).sum(axis=1) / prices.sum(axis=1)
    return float(precision.mean()), float(money_precision.mean())


@dataclass(frozen=True)
class Backtest:
    """One cutoff's matrix and, in its rows and columns, what the evaluated customers bought."""

    built: als.InteractionMatrix
    evaluated_rows: np.ndarray  # matrix rows of the evaluated customers, by user_id
    truth_rows: np.ndarray  # position in evaluated_rows of every bought pair in the matrix
    truth_cols: np.ndarray
    item_prices: np.ndarray  # price of every matrix column

    def score(self, recommended: np.ndarray) -> tuple[float, float]:
        """:func:`score_top_k` of ``recommended``, row r being the top-k of evaluated_rows[r]."""
        return score_top_k(recommended, self.truth_rows, self.truth_cols, self.item_prices)


def backtest(interactions: pa.Table, ground_truth: pa.Table, prices: pa.Table) -> Backtest:
    """The matrix of ``interactions`` and the truth and prices mapped to its rows and columns."""
    built = als.build_matrix(interactions)
    n_cols = len(built.item_ids)

    truth_users = np.asarray(ground_truth["user_id"], dtype=np.int64)
    evaluated_ids = np.unique(truth_users)
    evaluated_rows = built.user_index(evaluated_ids)
    if (evaluated_rows < 0).any():
        missing = evaluated_ids[evaluated_rows < 0]
        raise ValueError(f"{len(missing)} evaluated customer(s) have no interactions before the cutoff, "
                         f"e.g. user_id {missing[0]}")
    truth_rows = np.searchsorted(evaluated_ids, truth_users)
    truth_cols = built.item_index(np.asarray(ground_truth["item_id"], dtype=np.int64))
    truth_rows, truth_cols = truth_rows[truth_cols >= 0], truth_cols[truth_cols >= 0]

    item_prices = np.full(n_cols, np.nan)
    price_cols = built.item_index(np.asarray(prices["item_id"], dtype=np.int64))
    item_prices[price_cols[price_cols >= 0]] = np.asarray(prices["price"], dtype=np.float64)[price_cols >= 0]
    return Backtest(built, evaluated_rows, truth_rows, truth_cols, item_prices)


def grid_search(interactions, ground_truth: pa.Table, prices: pa.Table, base: als.AlsParams,
                bucket_item_id: int, cutoff_week: int, factors=None, regularizations=None,
                iterations=None, weightings=None, alphas=None) -> pa.Table:
    """Score every configuration of the grid on one cutoff; one row each, ``rank`` 1 = best.

    interactions: user_id, item_id, weight up to the cutoff (see :func:`recsys.als.build_matrix`),
        an Arrow table (implicit's grid) or a Spark DataFrame (MLlib's grid, fitted on its session).
    ground_truth: user_id, item_id bought in the test window by the evaluated customers.
    prices: item_id, price at the cutoff.
    base: alpha, random_state and threads for every fit (its other fields are replaced).
    factors, regularizations, iterations, weightings, alphas: the grid; None takes the engine's
    (FACTORS ... for implicit, with base's alpha; MLLIB_FACTORS ... for MLlib).
    The placeholder item ``bucket_item_id`` is never recommended. Rows are ordered by rank:
    precision@5, then money precision@5, best first.
    """
    spark = frames.is_spark(interactions)
    if spark:
        defaults = (MLLIB_FACTORS, MLLIB_REGULARIZATIONS, MLLIB_ITERATIONS, ("none",), MLLIB_ALPHAS)
    else:
        defaults = (FACTORS, REGULARIZATIONS, ITERATIONS, WEIGHTINGS, (base.alpha,))
    factors, regularizations, iterations, weightings, alphas = (
        default if given is None else given
        for given, default in zip((factors, regularizations, iterations, weightings, alphas), defaults))
    test = backtest(frames.to_arrow(interactions) if spark else interactions, ground_truth, prices)
    search = _mllib_rows if spark else _implicit_rows
    rows = search(test, interactions, base, bucket_item_id, factors, regularizations, iterations,
                  weightings, alphas)
    return _ranked(rows, cutoff_week, len(test.evaluated_rows))


def _log(row) -> None:
    log.info("ALS grid %s factors=%d regularization=%g alpha=%g iterations=%d: precision@%d %.4f, "
             "money precision@%d %.4f, fit %.1f s", row[0], row[1], row[2], row[3], row[4], K, row[5],
             K, row[6], row[7])


def _implicit_rows(test: Backtest, interactions, base, bucket_item_id, factors, regularizations,
                   iterations, weightings, alphas) -> list[tuple]:
    """implicit's fits, the iteration counts continuing one fit (module docstring)."""
    steps = np.diff(sorted(set(iterations)), prepend=0)
    rows = []
    for weighting in weightings:
        matrix = als.weight_matrix(test.built.matrix, weighting)
        for n_factors, regularization, alpha in product(factors, regularizations, alphas):
            params = replace(base, factors=int(n_factors), regularization=float(regularization),
                             alpha=float(alpha), weighting=weighting, iterations=int(steps[0]))
            model = als.new_model(params)
            seconds = 0.0
            for n_iterations, step in zip(np.cumsum(steps), steps):
                seconds += als.fit(model, matrix, iterations=int(step))
                recommended, _ = als.top_n(model, test.built, test.evaluated_rows, K,
                                           exclude_item_ids=[bucket_item_id])
                rows.append((weighting, int(n_factors), float(regularization), float(alpha),
                             int(n_iterations), *test.score(recommended), seconds))
                _log(rows[-1])
    return rows


def _mllib_rows(test: Backtest, interactions, base, bucket_item_id, factors, regularizations,
                iterations, weightings, alphas) -> list[tuple]:
    """MLlib's fits on ``interactions``' session, one fresh fit per configuration."""
    session = interactions.sparkSession
    cells = als.mllib_cells(session, test.built.matrix).cache()
    evaluated = session.createDataFrame(
        pa.table({"user_key": pa.array(test.evaluated_rows, pa.int32())})).cache()
    bucket_cols = test.built.item_index([bucket_item_id])
    rows = []
    for weighting, n_factors, regularization, alpha, n_iterations in product(
            weightings, factors, regularizations, alphas, iterations):
        params = replace(base, factors=int(n_factors), regularization=float(regularization),
                         alpha=float(alpha), weighting=weighting, iterations=int(n_iterations))
        model, seconds = als.mllib_fit(cells, params)
        recommended = mllib_top_k(model, evaluated, test.evaluated_rows, K, bucket_cols[bucket_cols >= 0])
        rows.append((weighting, int(n_factors), float(regularization), float(alpha), int(n_iterations),
                     *test.score(recommended), seconds))
        _log(rows[-1])
    cells.unpersist()
    evaluated.unpersist()
    return rows


def mllib_top_k(model, users, user_keys: np.ndarray, k: int, excluded_keys: np.ndarray) -> np.ndarray:
    """The best ``k`` item keys of every key in ``user_keys`` (sorted), a (users, k) array.

    ``users`` is a DataFrame of those keys in a ``user_key`` column; MLlib ranks k plus the number
    of excluded items for each on the cluster, and only that small table is collected.
    """
    ranked = (model.recommendForUserSubset(users, k + len(excluded_keys))
              .select("user_key", "recommendations.item_key").toArrow())
    order = np.argsort(np.asarray(ranked["user_key"]))
    if not np.array_equal(np.asarray(ranked["user_key"])[order], user_keys):
        raise ValueError("MLlib recommended for other customers than the evaluated ones")
    items = np.asarray(pc.list_flatten(ranked["item_key"]), dtype=np.int64).reshape(len(order), -1)[order]
    # excluded items to the end of each row, keeping the order of the others
    last = np.argsort(np.isin(items, excluded_keys), axis=1, kind="stable")
    return np.take_along_axis(items, last, axis=1)[:, :k]


def _ranked(rows: list[tuple], cutoff_week: int, n_users: int) -> pa.Table:
    order = sorted(range(len(rows)), key=lambda i: (-rows[i][5], -rows[i][6], i))
    ranked = [rows[i] for i in order]
    columns = list(zip(*ranked))
    return pa.table({
        "cutoff_week": pa.array([cutoff_week] * len(ranked), pa.int32()),
        "weighting": pa.array(columns[0], pa.string()),
        "factors": pa.array(columns[1], pa.int32()),
        "regularization": pa.array(columns[2], pa.float64()),
        "alpha": pa.array(columns[3], pa.float64()),
        "iterations": pa.array(columns[4], pa.int32()),
        "n_users": pa.array([n_users] * len(ranked), pa.int64()),
        "precision_at_5": pa.array(columns[5], pa.float64()),
        "money_precision_at_5": pa.array(columns[6], pa.float64()),
        "fit_seconds": pa.array(columns[7], pa.float64()),
        "rank": pa.array(range(1, len(ranked) + 1), pa.int32()),
    }, schema=GRID_SCHEMA)
