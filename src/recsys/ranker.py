"""The second stage: a LightGBM classifier that turns a candidate's features into the probability
that the customer buys the item in the horizon_weeks after the cutoff.

The ranker applied at a cutoff learns from the cutoff ``horizon_weeks`` earlier: that cutoff's
candidates and features, labelled by what its customers bought in the window that ends exactly
at the applied cutoff (the dbt model ``int_ranker_training``). Nothing it learns from lies after
the cutoff it scores. Gradient-boosted trees over candidate features are the second stage of the
two-stage recommenders that win grocery next-basket tasks (Ke et al., "LightGBM: A Highly
Efficient Gradient Boosting Decision Tree", NeurIPS 2017, for the learner).

The features are the columns of int_ranker_training but the keys and the label (``NOT_FEATURES``),
in the relation's order, so that a new column of the feature models is a feature of the next build
without a change here; the fitted booster keeps their names, and scoring reads those columns.

Training keeps every purchase and a fixed share (``negative_rate``) of the non-purchases, chosen
by a hash of the ids in SQL (``training_sample``), at most ``max_training_rows`` of them (the rows
with the smallest value of a second hash: a uniform thinning, the same rows at any data size), so
that only those rows leave the database, the fit takes seconds and the driver's memory does not
grow with the data; the predicted odds are then multiplied by
``negative_rate``, which undoes the sampling exactly for a calibrated classifier, so the
probabilities mean purchase rates (``calibration`` checks it per decile on the backtest).

Deterministic: a fixed seed, a fixed thread count, LightGBM's ``deterministic`` mode with
row-wise histograms, and rows in (user_id, item_id) order give the same model on every build.
Logging goes to the ``recsys.ranker`` logger: per fit the rows, purchases, seconds and the
features by gain.

The engines differ in one place, :func:`scores`: the fits happen on the driver on both, then
DuckDB streams the candidates through this process batch by batch (:func:`stream_scores`), and
Spark scores them on the executors (:func:`spark_scores`, ``mapInArrow`` with the boosters as
model strings), so that no candidate passes through the driver. Both score a batch with the same
function (:func:`scored_batch`).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import lightgbm as lgb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from recsys import frames
from recsys.dbt_model import typed_config

log = logging.getLogger("recsys.ranker")

# The columns of int_ranker_features and int_ranker_training that are not features: the keys, the
# cutoff that a training row's features are of, and the label. Every other column is a feature.
NOT_FEATURES = ("cutoff_week", "user_id", "item_id", "feature_cutoff_week", "is_bought")

SCORES_SCHEMA = pa.schema([
    ("cutoff_week", pa.int32()),
    ("user_id", pa.int64()),
    ("item_id", pa.int64()),
    ("probability", pa.float64()),
])


@dataclass(frozen=True)
class RankerParams:
    """The ranker's settings; the defaults are those of dbt_project.yml.

    trees: int
        Boosting rounds.
    learning_rate: float
        Shrinkage of every tree.
    leaves: int
        Leaves per tree.
    min_child_samples: int
        Fewest training rows in a leaf.
    negative_rate: float
        Share of the non-purchases kept for training, in (0, 1].
    seed: int
        Seed of LightGBM and of the negative sampling.
    threads: int
        LightGBM threads; fixed, because the thread count is part of what makes a fit repeatable.
    max_training_rows: int
        Most training rows per cutoff: above it the sample is thinned uniformly by a fixed hash,
        so that the fit's memory on the driver is bounded whatever the data's size.
    workers: int
        Cores used where they change no result: that many cutoffs fitted side by side (each fit
        with ``threads``), and LightGBM's threads when DuckDB's candidates are scored (a row's
        score is the same on any number of threads). A Spark task scores with ``threads``.
    """

    trees: int = 50
    learning_rate: float = 0.2
    leaves: int = 15
    min_child_samples: int = 100
    negative_rate: float = 0.1
    seed: int = 42
    threads: int = 1
    max_training_rows: int = 200_000
    workers: int = 2

    def __post_init__(self):
        if (self.trees < 1 or self.leaves < 2 or self.min_child_samples < 1 or self.threads < 1
                or self.max_training_rows < 1 or self.workers < 1):
            raise ValueError(f"ranker trees ({self.trees}), leaves ({self.leaves}), min_child_samples "
                             f"({self.min_child_samples}), threads ({self.threads}), max_training_rows "
                             f"({self.max_training_rows}) and workers ({self.workers}) must be >= 1 "
                             f"(leaves >= 2)")
        if not 0 < self.negative_rate <= 1 or not self.learning_rate > 0:
            raise ValueError(f"ranker negative_rate ({self.negative_rate}) must be in (0, 1] and "
                             f"learning_rate ({self.learning_rate}) > 0")

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> RankerParams:
        """Parameters from a mapping of field name to value (dbt renders vars as text); None or
        missing keeps the default."""
        return cls(**typed_config(cls, config, "ranker parameter"))

    def lightgbm(self) -> dict:
        return {
            "objective": "binary", "learning_rate": self.learning_rate, "num_leaves": self.leaves,
            "min_child_samples": self.min_child_samples, "seed": self.seed,
            "num_threads": self.threads, "deterministic": True, "force_row_wise": True,
            "verbosity": -1,
        }


def feature_names(columns: Iterable[str]) -> tuple[str, ...]:
    """The features among ``columns`` (of int_ranker_training or int_ranker_features: a DuckDB
    relation's, a Spark DataFrame's or an Arrow table's), in their order: all but NOT_FEATURES."""
    return tuple(name for name in columns if name not in NOT_FEATURES)


def feature_matrix(table: pa.Table, features: Sequence[str]) -> np.ndarray:
    """The columns ``features`` of ``table`` as a float32 matrix (LightGBM bins in float32
    anyway), nulls as NaN (LightGBM's missing value)."""
    missing = [name for name in features if name not in table.column_names]
    if missing:
        raise ValueError(f"ranker features lack column(s) {', '.join(missing)}")
    matrix = np.empty((table.num_rows, len(features)), dtype=np.float32)
    for column, name in enumerate(features):
        matrix[:, column] = pc.cast(table[name], pa.float64()).to_numpy(zero_copy_only=False)
    return matrix


# the hash picks non-purchases in steps of one millionth of negative_rate
SAMPLE_GRAIN = 1_000_000


def training_sample(relation, params: RankerParams):
    """The rows of ``relation`` (user_id, item_id, is_bought, ...; a DuckDB relation or a Spark
    DataFrame) that the ranker trains on: every purchase, and the non-purchases whose hash of
    (user, item, seed) falls below ``negative_rate``; of those at most ``max_training_rows``, the
    ones with the smallest second hash of (user, item, seed, 1) (a uniform thinning of purchases
    and non-purchases alike, which keeps their odds), in (user_id, item_id) order. The same rows
    on every build, whatever the row order, and filtered in the database, so that the rest is
    never fetched. Spark has not DuckDB's hash: there the sample is another, equally fixed one."""
    kept = round(params.negative_rate * SAMPLE_GRAIN)
    ids = f"cast(user_id as bigint), cast(item_id as bigint), cast({int(params.seed)} as bigint)"
    bound, limit = f"{ids}, cast(1 as bigint)", int(params.max_training_rows)
    if frames.is_spark(relation):
        from pyspark.sql import functions as F

        # xxhash64 is signed on Spark; pmod keeps the remainder in [0, SAMPLE_GRAIN)
        return relation.filter(f"is_bought or pmod(xxhash64({ids}), {SAMPLE_GRAIN}) < {kept}") \
            .orderBy(F.expr(f"xxhash64({bound})"), "user_id", "item_id").limit(limit) \
            .orderBy("user_id", "item_id")
    return relation.filter(f"is_bought or hash({ids}) % {SAMPLE_GRAIN} < {kept}") \
        .order(f"hash({bound}), user_id, item_id").limit(limit).order("user_id, item_id")


def fit(training: pa.Table, params: RankerParams) -> lgb.Booster:
    """A classifier of ``is_bought`` on the features of ``training`` (:func:`feature_names` of its
    columns, in their order): the rows of ``training_sample`` (every purchase and
    ``negative_rate`` of the rest). The booster keeps the features' names, which scoring reads."""
    if training.num_rows == 0:
        raise ValueError("ranker training set is empty")
    is_bought = pc.cast(training["is_bought"], pa.bool_()).to_numpy(zero_copy_only=False)
    if not is_bought.any() or is_bought.all():
        raise ValueError(f"ranker training set needs purchases and non-purchases; it has "
                         f"{int(is_bought.sum())} purchases in {len(is_bought)} rows")
    started = time.perf_counter()
    features = feature_names(training.column_names)
    dataset = lgb.Dataset(feature_matrix(training, features), label=is_bought.astype(np.float64),
                          feature_name=list(features), free_raw_data=True)
    booster = lgb.train(params.lightgbm(), dataset, num_boost_round=params.trees)
    log.info("ranker fit: %d rows (%d purchases, %.0f %% of the rest), %.1f s; top features by gain: %s",
             training.num_rows, int(is_bought.sum()), 100 * params.negative_rate,
             time.perf_counter() - started,
             ", ".join(f"{name} {share:.0%}" for name, share in importances(booster)[:8]))
    return booster


def probabilities(booster: lgb.Booster, features: pa.Table, negative_rate: float,
                  threads: int | None = None) -> np.ndarray:
    """Purchase probabilities of the rows of ``features`` (which hold every feature the model was
    fitted on): the model's odds times ``negative_rate``, which undoes the sampling of the
    non-purchases it was fitted on. ``threads``: the fit's, unless given."""
    sampled = booster.predict(feature_matrix(features, booster.feature_name()),
                              num_threads=threads or booster.params.get("num_threads", 1))
    odds = negative_rate * sampled / np.maximum(1 - sampled, 1e-12)
    return odds / (1 + odds)


def importances(booster: lgb.Booster) -> list[tuple[str, float]]:
    """(feature, share of the total gain), largest first."""
    gains = booster.feature_importance(importance_type="gain")
    total = gains.sum() or 1.0
    return sorted(((name, float(gain / total)) for name, gain in zip(booster.feature_name(), gains)),
                  key=lambda pair: (-pair[1], pair[0]))


def scored_batch(cutoff: int, booster: lgb.Booster, features: pa.Table | pa.RecordBatch,
                 params: RankerParams, threads: int) -> pa.RecordBatch:
    """SCORES_SCHEMA rows of one batch of a cutoff's candidates, scored on ``threads``; the same on
    both engines."""
    return pa.RecordBatch.from_arrays([
        pa.array(np.full(features.num_rows, cutoff), pa.int32()),
        pc.cast(features["user_id"], pa.int64()),
        pc.cast(features["item_id"], pa.int64()),
        pa.array(probabilities(booster, features, params.negative_rate, threads), pa.float64()),
    ], schema=SCORES_SCHEMA)


def stream_scores(boosters: Mapping[int, lgb.Booster],
                  feature_batches_at: Callable[[int], Iterable[pa.RecordBatch]],
                  params: RankerParams) -> pa.RecordBatchReader:
    """SCORES_SCHEMA rows for every candidate of ``feature_batches_at(cutoff)``, scored by that
    cutoff's booster of ``boosters`` (cutoff -> booster), in the boosters' order, on
    ``params.workers`` threads. A stream that computes each batch as it is read, so memory holds
    one batch of candidates however many there are (at 100x, about 100 M per cutoff)."""
    def scored_batches() -> Iterator[pa.RecordBatch]:
        for cutoff, booster in boosters.items():
            for features in feature_batches_at(cutoff):
                yield scored_batch(cutoff, booster, features, params, params.workers)

    return pa.RecordBatchReader.from_batches(SCORES_SCHEMA, scored_batches())


# --- the dbt model ranker_scores on either engine ------------------------------------------------

def fitted_boosters(training, params: RankerParams) -> dict[int, lgb.Booster]:
    """One booster per cutoff of ``training`` (int_ranker_training, a DuckDB relation or a Spark
    DataFrame), fitted here on its :func:`training_sample`: only the cutoff weeks and the sample,
    at most ``max_training_rows`` rows per cutoff, reach this process. The samples are read one by
    one (a session serves one query at a time) and fitted ``params.workers`` at a time."""
    cutoffs = frames.to_arrow(training.select("cutoff_week").distinct())["cutoff_week"].to_pylist()
    samples = {cutoff: frames.to_arrow(training_sample(
                   training.filter(f"cutoff_week = {int(cutoff)}"), params)) for cutoff in sorted(cutoffs)}
    with ThreadPoolExecutor(params.workers) as pool:  # LightGBM's fit releases the GIL
        return dict(zip(samples, pool.map(lambda sample: fit(sample, params), samples.values())))


def scores(training, features, params: RankerParams, session, batch_rows: int):
    """ranker_scores: SCORES_SCHEMA rows for every candidate of ``features`` (int_ranker_features)
    at a cutoff of ``training``, as the model's result for ``session``. DuckDB streams the
    candidates through this process in batches of ``batch_rows``; Spark scores them on the
    executors and gives back a Spark DataFrame that never passes through the driver."""
    boosters = fitted_boosters(training, params)
    if frames.is_spark(features):
        return spark_scores(boosters, features, params)
    return frames.from_arrow(stream_scores(boosters, lambda cutoff: frames.record_batches(
        features.filter(f"cutoff_week = {int(cutoff)}"), session, batch_rows), params), session)


SPARK_SCORES_SCHEMA = "cutoff_week int, user_id bigint, item_id bigint, probability double"


def spark_scores(boosters: Mapping[int, lgb.Booster], features, params: RankerParams):
    """The scores of :func:`scores` on Spark: ``features``' rows at the boosters' cutoffs, scored
    by ``mapInArrow`` on the executors. The boosters travel as LightGBM model strings in the
    function's closure (pyspark broadcasts a closure above 1 MB by itself); each Python worker
    parses them once per partition."""
    models = {int(cutoff): booster.model_to_string() for cutoff, booster in boosters.items()}
    if not models:
        return features.limit(0).selectExpr("cast(cutoff_week as int) as cutoff_week",
                                            "cast(user_id as bigint) as user_id",
                                            "cast(item_id as bigint) as item_id",
                                            "cast(null as double) as probability")

    def score(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return score_model_strings(models, batches, params)

    return features.filter(f"cutoff_week in ({', '.join(str(cutoff) for cutoff in models)})") \
        .mapInArrow(score, SPARK_SCORES_SCHEMA)


def score_model_strings(models: Mapping[int, str], batches: Iterable[pa.RecordBatch],
                        params: RankerParams) -> Iterator[pa.RecordBatch]:
    """:func:`scored_batch` of every batch (of any cutoffs of ``models``), with boosters parsed
    from ``models`` (cutoff -> model string) when first needed: what a Spark executor runs."""
    boosters: dict[int, lgb.Booster] = {}
    for batch in batches:
        for cutoff in pc.unique(batch.column("cutoff_week")).to_pylist():
            if cutoff not in boosters:
                boosters[cutoff] = lgb.Booster(model_str=models[cutoff])
            rows = batch.filter(pc.equal(batch.column("cutoff_week"), cutoff))
            yield scored_batch(int(cutoff), boosters[cutoff], rows, params, params.threads)