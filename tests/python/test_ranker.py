"""recsys.ranker without dbt: parameters, the negative sampling, calibration, determinism and the
one-fit-per-cutoff scoring."""

import re
import sys
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
import yaml

from recsys import ranker

REPO = Path(__file__).resolve().parents[2]
# some of int_ranker_features' columns; the synthetic label depends on the first two only
FEATURES = ("own_lines", "recent_week_share", "price", "from_own", "als_score", "is_promo")
FAST = ranker.RankerParams(trees=60, learning_rate=0.2, leaves=7, min_child_samples=20, negative_rate=0.25)


def synthetic_candidates(n_users=400, per_user=30, seed=0):
    """Candidates whose purchase probability rises with own_lines and recent_week_share: the
    true probability is known, so calibration can be checked against it."""
    rng = np.random.default_rng(seed)
    n = n_users * per_user
    columns = {name: np.zeros(n) for name in FEATURES}
    own_lines = rng.poisson(1.0, n).astype(float)
    recent = rng.uniform(0, 1, n)
    columns["own_lines"] = own_lines
    columns["recent_week_share"] = recent
    columns["price"] = rng.uniform(0.5, 5, n)          # noise: the label ignores it
    true_probability = 1 / (1 + np.exp(-(-4.0 + 0.8 * own_lines + 1.5 * recent)))
    table = pa.table({
        "user_id": pa.array(np.repeat(np.arange(n_users) * 7 + 3, per_user), pa.int64()),
        "item_id": pa.array(np.tile(np.arange(per_user) * 11 + 5, n_users), pa.int64()),
        **{name: pa.array(values) for name, values in columns.items()},
        "is_bought": pa.array(rng.uniform(0, 1, n) < true_probability),
    })
    return table, true_probability


def sampled(table, params=FAST):
    """The rows of ``table`` the ranker trains on (ranker.training_sample, run by DuckDB)."""
    return ranker.training_sample(duckdb.from_arrow(table), params).to_arrow_table()


def test_params_from_config_convert_dbt_text():
    params = ranker.RankerParams.from_config({"trees": "50", "learning_rate": "0.2", "threads": "1",
                                              "negative_rate": " ", "seed": None})
    assert (params.trees, params.learning_rate, params.threads) == (50, 0.2, 1)
    assert params.negative_rate == ranker.RankerParams().negative_rate
    lightgbm = params.lightgbm()
    assert lightgbm["deterministic"] is True and lightgbm["num_threads"] == 1 and lightgbm["seed"] == 42


@pytest.mark.parametrize("config, message", [({"trees": "1.5"}, "whole number"),
                                             ({"negative_rate": "0"}, "negative_rate"),
                                             ({"learning_rate": "fast"}, "not a number")])
def test_params_reject_bad_values(config, message):
    with pytest.raises(ValueError, match=message):
        ranker.RankerParams.from_config(config)


def test_sampling_keeps_every_purchase_and_the_rate_of_the_rest_in_any_order():
    rng = np.random.default_rng(1)
    pairs = np.unique(np.column_stack([rng.integers(1, 5000, 200_000), rng.integers(1, 90_000, 200_000)]), axis=0)
    table = pa.table({"user_id": pa.array(pairs[:, 0]), "item_id": pa.array(pairs[:, 1]),
                      "is_bought": pa.array(rng.uniform(0, 1, len(pairs)) < 0.03)})
    params = ranker.RankerParams(negative_rate=0.1)
    kept = sampled(table, params)
    keys = set(zip(kept["user_id"].to_pylist(), kept["item_id"].to_pylist()))
    bought = table.filter(table["is_bought"])
    assert set(zip(bought["user_id"].to_pylist(), bought["item_id"].to_pylist())) <= keys
    n_rest = table.num_rows - bought.num_rows
    assert abs((len(keys) - bought.num_rows) / n_rest - 0.1) < 0.005
    # ordered by (user_id, item_id), and the same rows whatever the input order
    assert kept.to_pylist() == sorted(kept.to_pylist(), key=lambda row: (row["user_id"], row["item_id"]))
    assert sampled(table.take(rng.permutation(table.num_rows)), params).equals(kept)
    # another seed samples other rows; a rate of 1 keeps them all
    assert not sampled(table, ranker.RankerParams(negative_rate=0.1, seed=7)).equals(kept)
    assert sampled(table, ranker.RankerParams(negative_rate=1.0)).num_rows == table.num_rows


def test_probabilities_are_calibrated_after_the_sampling():
    training, _ = synthetic_candidates(seed=0)
    scoring, true_probability = synthetic_candidates(seed=1)
    booster = ranker.fit(sampled(training), FAST)
    predicted = ranker.probabilities(booster, scoring, FAST.negative_rate)
    # the sampled model alone would overstate the purchase rate about fourfold
    assert abs(predicted.mean() - true_probability.mean()) < 0.1 * true_probability.mean()
    top = predicted >= np.quantile(predicted, 0.9)
    assert abs(predicted[top].mean() - true_probability[top].mean()) < 0.15 * true_probability[top].mean()
    # it learned the signal: the most likely tenth is bought far more often than the rest
    assert true_probability[top].mean() > 3 * true_probability[~top].mean()
    names = [name for name, _ in ranker.importances(booster)[:2]]
    assert set(names) == {"own_lines", "recent_week_share"}, names


def test_fit_is_deterministic():
    training, _ = synthetic_candidates(seed=2)
    first = ranker.probabilities(ranker.fit(sampled(training), FAST), training, FAST.negative_rate)
    second = ranker.probabilities(ranker.fit(sampled(training), FAST), training, FAST.negative_rate)
    assert np.array_equal(first, second)


def test_fit_needs_purchases_and_non_purchases():
    training, _ = synthetic_candidates(n_users=20, seed=3)
    with pytest.raises(ValueError, match="purchases and non-purchases"):
        ranker.fit(training.set_column(training.column_names.index("is_bought"), "is_bought",
                                       pa.array([False] * training.num_rows)), FAST)


def test_the_features_are_the_columns_but_keys_and_label_in_their_order():
    training, _ = synthetic_candidates(n_users=100, seed=3)
    # int_ranker_training's columns: the keys first, the feature cutoff and the label last
    training = training.add_column(0, "cutoff_week", pa.array(np.full(training.num_rows, 50), pa.int32()))
    training = training.append_column("feature_cutoff_week", pa.array(np.full(training.num_rows, 47), pa.int32()))
    booster = ranker.fit(sampled(training), FAST)
    assert booster.feature_name() == list(FEATURES)
    assert ranker.feature_names(training.column_names) == FEATURES
    # scoring reads the model's features by name, whatever the order and other columns
    reordered = training.select(["is_bought", *reversed(training.column_names[:-1])])
    assert np.array_equal(ranker.probabilities(booster, reordered, FAST.negative_rate),
                          ranker.probabilities(booster, training, FAST.negative_rate))
    with pytest.raises(ValueError, match="lack column.*own_lines"):
        ranker.probabilities(booster, training.drop(["own_lines"]), FAST.negative_rate)


def test_stream_scores_scores_each_cutoff_with_its_own_booster():
    trainings = {47: sampled(synthetic_candidates(n_users=200, seed=4)[0]),
                 50: sampled(synthetic_candidates(n_users=200, seed=5)[0])}
    features = {47: synthetic_candidates(n_users=50, seed=6)[0].drop(["is_bought"]),
                50: synthetic_candidates(n_users=60, seed=7)[0].drop(["is_bought"])}
    boosters = {cutoff: ranker.fit(training, FAST) for cutoff, training in trainings.items()}
    read = []

    def feature_batches_at(cutoff):
        read.append(cutoff)
        return features[cutoff].to_batches(max_chunksize=7)

    scores = ranker.stream_scores(boosters, feature_batches_at, FAST)
    assert read == []  # a stream: nothing is read until the scores are
    scores = scores.read_all()
    assert read == [47, 50]
    assert scores.schema == ranker.SCORES_SCHEMA
    for cutoff, table in features.items():
        rows = scores.filter(pa.compute.equal(scores["cutoff_week"], cutoff))
        assert rows["user_id"].to_pylist() == table["user_id"].to_pylist()
        assert rows["item_id"].to_pylist() == table["item_id"].to_pylist()
        expected = ranker.probabilities(boosters[cutoff], table, FAST.negative_rate)
        assert np.array_equal(rows["probability"].to_numpy(), expected)
        # the other cutoff's booster would give other probabilities: the pairing is tested
        [other] = [booster for week, booster in boosters.items() if week != cutoff]
        assert not np.array_equal(rows["probability"].to_numpy(),
                                  ranker.probabilities(other, table, FAST.negative_rate))
    assert ranker.stream_scores({}, feature_batches_at, FAST).read_all().num_rows == 0


def test_workers_change_no_result():
    """Cutoffs fitted side by side and scoring on several threads give the models and scores of one
    worker, bit for bit."""
    training = pa.concat_tables([
        synthetic_candidates(n_users=150, seed=seed)[0].add_column(
            0, "cutoff_week", pa.array([cutoff] * 4500, pa.int32()))
        for cutoff, seed in ((47, 8), (50, 9), (53, 10))])
    features = synthetic_candidates(n_users=80, seed=11)[0].drop(["is_bought"])
    con = duckdb.connect()
    results = []
    for workers in (1, 3):
        params = ranker.RankerParams(trees=20, leaves=7, min_child_samples=20, negative_rate=0.25,
                                     workers=workers)
        boosters = ranker.fitted_boosters(con.from_arrow(training), params)
        assert list(boosters) == [47, 50, 53]
        scores = ranker.stream_scores(boosters, lambda cutoff: features.to_batches(max_chunksize=500),
                                      params).read_all()
        results.append(([booster.model_to_string() for booster in boosters.values()], scores))
    (one_models, one_scores), (three_models, three_scores) = results
    assert one_models == three_models
    assert len(set(one_models)) == 3  # each cutoff has a model of its own
    assert one_scores.equals(three_scores) and one_scores.num_rows == 3 * features.num_rows


def documented_columns(model: str) -> dict[str, str]:
    """Column name to description in ``model``'s YAML (one YAML per model, under models/)."""
    [spec] = (REPO / "models").rglob(f"{model}.yml")
    [entry] = yaml.safe_load(spec.read_text())["models"]
    return {column["name"]: column.get("description", "") for column in entry["columns"]}


def test_every_feature_is_documented_once_and_keys_and_label_are_no_features():
    """Every feature the ranker learns from (a column of int_ranker_training but
    ranker.NOT_FEATURES) has one doc block, which the YAML of the model that computes it, of the
    view int_ranker_features and of int_ranker_training name. No build: dbt-coverage
    (test_conventions.py) holds the YAML to the built columns."""
    docs = (REPO / "models" / "docs" / "ranker_features.md").read_text()
    blocks = set(re.findall(r"{%\s*docs\s+(\w+)\s*%}", docs))
    computed = [name for model in ("int_ranker_candidate_features", "int_ranker_item_features")
                for name in ranker.feature_names(documented_columns(model))]
    assert len(computed) == len(set(computed)) > 30, computed
    view = documented_columns("int_ranker_features")
    assert set(view) - set(ranker.feature_names(view)) == {"cutoff_week", "user_id", "item_id"}
    assert list(ranker.feature_names(view)) == computed  # the view's order: candidate, then item
    training = documented_columns("int_ranker_training")
    assert set(training) - set(ranker.feature_names(training)) == set(ranker.NOT_FEATURES)
    assert sorted(ranker.feature_names(training)) == sorted(computed)
    for model in ("int_ranker_candidate_features", "int_ranker_item_features", "int_ranker_features",
                  "int_ranker_training"):
        for name, description in documented_columns(model).items():
            if name in computed:
                assert description == f"{{{{ doc('feature_{name}') }}}}", (model, name, description)
    assert {f"feature_{name}" for name in computed} == blocks


def test_sampling_keeps_at_most_max_training_rows_by_a_fixed_hash():
    """Above max_training_rows the sample is thinned uniformly (purchases and the rest alike) to
    exactly that many rows, the same rows in any order; below it nothing changes."""
    table, _ = synthetic_candidates(n_users=300, per_user=30, seed=3)
    params = ranker.RankerParams(negative_rate=0.25)
    full = sampled(table, params)
    bounded = sampled(table, ranker.RankerParams(negative_rate=0.25, max_training_rows=1000))
    assert full.num_rows > 2000 and bounded.num_rows == 1000
    assert set(zip(bounded["user_id"].to_pylist(), bounded["item_id"].to_pylist())) <= set(
        zip(full["user_id"].to_pylist(), full["item_id"].to_pylist()))
    share = np.mean(bounded["is_bought"].to_numpy(zero_copy_only=False))
    assert share == pytest.approx(np.mean(full["is_bought"].to_numpy(zero_copy_only=False)), abs=0.05)
    shuffled = table.take(np.random.default_rng(1).permutation(table.num_rows))
    assert sampled(shuffled, ranker.RankerParams(negative_rate=0.25, max_training_rows=1000)).equals(bounded)
    assert sampled(table, ranker.RankerParams(negative_rate=0.25, max_training_rows=full.num_rows)).equals(full)


@pytest.fixture
def local_spark(monkeypatch):
    """A local SparkSession for this test alone, stopped afterwards (test_spark builds its own,
    on a standalone cluster). Its Python workers must import recsys: this interpreter's, as
    dbt_recsys_spark sets for a build."""
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
    try:
        yield spark
    finally:
        spark.stop()


def test_spark_scores_on_the_executors_equal_duckdb_streamed_scores(local_spark):
    """For the same fitted boosters, Spark's scores (mapInArrow on the executors, the boosters as
    model strings) are DuckDB's streamed scores bit for bit, and the training sample is bounded on
    Spark too. A local SparkSession on small Arrow tables."""
    trainings = {47: synthetic_candidates(n_users=200, seed=4)[0],
                 50: synthetic_candidates(n_users=200, seed=5)[0]}
    features = {47: synthetic_candidates(n_users=50, seed=6)[0].drop(["is_bought"]),
                50: synthetic_candidates(n_users=60, seed=7)[0].drop(["is_bought"])}
    training = pa.concat_tables([table.add_column(0, "cutoff_week", pa.array([cutoff] * table.num_rows, pa.int32()))
                                 for cutoff, table in trainings.items()])
    feature_rows = pa.concat_tables([table.add_column(0, "cutoff_week", pa.array([cutoff] * table.num_rows, pa.int32()))
                                     for cutoff, table in features.items()])
    # cutoff 44 has no model: its candidates are not scored
    feature_rows = pa.concat_tables([feature_rows, feature_rows.slice(0, 5).set_column(
        0, "cutoff_week", pa.array([44] * 5, pa.int32()))])
    params = ranker.RankerParams(trees=20, leaves=7, min_child_samples=20, negative_rate=0.25,
                                 max_training_rows=1500)

    con = duckdb.connect()
    duck = ranker.scores(con.from_arrow(training), con.from_arrow(feature_rows), params, con, 64).read_all()

    spark = local_spark
    spark_training = spark.createDataFrame(training)
    # the bound binds on both engines (each draws its own, equally fixed, sample)
    assert ranker.training_sample(spark_training.filter("cutoff_week = 47"), params).count() == 1500
    assert ranker.training_sample(con.from_arrow(training).filter("cutoff_week = 47"), params) \
        .to_arrow_table().num_rows == 1500
    # the same training rows on both paths: the boosters are fitted once, from DuckDB's sample
    boosters = ranker.fitted_boosters(con.from_arrow(training), params)
    frame = ranker.spark_scores(boosters, spark.createDataFrame(feature_rows).repartition(3), params)
    assert frame.schema.simpleString() == "struct<cutoff_week:int,user_id:bigint,item_id:bigint,probability:double>"
    on_spark = frame.toArrow()

    def ordered(table):
        return table.cast(ranker.SCORES_SCHEMA).sort_by([("cutoff_week", "ascending"), ("user_id", "ascending"),
                                                         ("item_id", "ascending")])

    assert duck.num_rows == on_spark.num_rows == sum(table.num_rows for table in features.values())
    assert ordered(on_spark).equals(ordered(duck))
    assert ranker.spark_scores({}, spark.createDataFrame(feature_rows), params).count() == 0
