"""recsys.grid: continued fits, the course's scoring formulas, and the grid table."""

import numpy as np
import pyarrow as pa
import pytest

from recsys import als, grid
from test_als import BUCKET, synthetic_interactions


def test_continued_fit_equals_a_fresh_fit_exactly():
    # implicit 0.7.3 initialises factors only when they are None, so sweeps add up; we found
    # the factors bit-identical (tolerance 0), also on the Complete Journey matrix.
    matrix = als.build_matrix(synthetic_interactions(n_users=100, n_items=50)).matrix
    params = als.AlsParams(factors=8, regularization=0.01, random_state=11, threads=1)

    continued = als.new_model(params)
    als.fit(continued, matrix, iterations=10)
    after_ten = continued.item_factors.copy()
    als.fit(continued, matrix, iterations=5)

    fresh = als.new_model(params)
    als.fit(fresh, matrix, iterations=15)
    assert np.array_equal(continued.item_factors, fresh.item_factors)
    assert np.array_equal(continued.user_factors, fresh.user_factors)
    assert not np.array_equal(after_ten, fresh.item_factors), "the 5 extra sweeps must change the factors"

    als.fit(continued, matrix, iterations=5)
    twenty = als.new_model(params)
    als.fit(twenty, matrix, iterations=20)
    assert np.array_equal(continued.item_factors, twenty.item_factors)


def test_score_top_k_by_hand():
    # item columns 0..6 with prices; two customers, top-5 each
    prices = np.array([1.0, 2.0, 3.0, 4.0, 10.0, 5.0, 0.5])
    recommended = np.array([[0, 1, 2, 3, 4],
                            [4, 5, 6, 0, 1]])
    # customer 0 bought columns 1, 4 and 5; customer 1 bought column 2 only
    truth_rows = np.array([0, 0, 0, 1])
    truth_cols = np.array([1, 4, 5, 2])
    precision, money_precision = grid.score_top_k(recommended, truth_rows, truth_cols, prices)
    # customer 0: hits 1 and 4 -> 2/5 and (2 + 10) / (1 + 2 + 3 + 4 + 10) = 12/20
    # customer 1: no hit -> 0 and 0
    assert precision == pytest.approx((2 / 5 + 0) / 2)
    assert money_precision == pytest.approx((12 / 20 + 0) / 2)


def test_score_top_k_refuses_unpriced_recommendations():
    prices = np.array([1.0, np.nan, 3.0])
    with pytest.raises(ValueError, match="no positive price"):
        grid.score_top_k(np.array([[0, 1]]), np.array([0]), np.array([0]), prices)


def grid_inputs(seed=4):
    history = synthetic_interactions(n_users=90, n_items=40, seed=seed)
    future = synthetic_interactions(n_users=90, n_items=40, per_user=4, seed=seed + 100)
    ground_truth = future.filter(np.asarray(future["item_id"]) != BUCKET).select(["user_id", "item_id"])
    items = np.unique(np.asarray(history["item_id"]))
    prices = pa.table({"item_id": items, "price": 1.0 + (items % 7).astype(float)})
    return history, ground_truth, prices


def test_grid_table_ranks_and_matches_fresh_fits():
    history, ground_truth, prices = grid_inputs()
    base = als.AlsParams(random_state=9, threads=1)
    result = grid.grid_search(history, ground_truth, prices, base, BUCKET, cutoff_week=50,
                              factors=(4, 8), regularizations=(0.01, 1.0), iterations=(2, 3, 5),
                              weightings=("none", "bm25"))
    assert result.schema == grid.GRID_SCHEMA
    assert result.num_rows == 2 * 2 * 3 * 2
    assert result["rank"].to_pylist() == list(range(1, 25))
    precision = np.asarray(result["precision_at_5"])
    assert np.all(np.diff(precision) <= 0)
    assert set(result["n_users"].to_pylist()) == {90}
    assert 0 < precision.max() <= 1
    assert len(set(precision.tolist())) > 1, "different configurations should score differently"

    # every row is what a fresh fit of that configuration scores
    built = als.build_matrix(history)
    evaluated = np.unique(np.asarray(ground_truth["user_id"]))
    rows = built.user_index(evaluated)
    truth_rows = np.searchsorted(evaluated, np.asarray(ground_truth["user_id"]))
    truth_cols = built.item_index(np.asarray(ground_truth["item_id"]))
    item_prices = 1.0 + (built.item_ids % 7).astype(float)
    for row in result.slice(0, 24).to_pylist()[::5]:
        params = als.AlsParams(factors=row["factors"], regularization=row["regularization"],
                               iterations=row["iterations"], weighting=row["weighting"],
                               random_state=9, threads=1)
        model = als.new_model(params)
        als.fit(model, als.weight_matrix(built.matrix, params.weighting))
        top, _ = als.top_n(model, built, rows, 5, exclude_item_ids=[BUCKET])
        assert BUCKET not in built.item_ids[top]
        expected = grid.score_top_k(top, truth_rows, truth_cols, item_prices)
        assert (row["precision_at_5"], row["money_precision_at_5"]) == pytest.approx(expected, abs=1e-12)

    # fit seconds add up along the iterations of one configuration
    one = result.filter(np.asarray(result["factors"]) == 8).to_pylist()
    one = sorted((r for r in one if r["regularization"] == 1.0 and r["weighting"] == "none"),
                 key=lambda r: r["iterations"])
    assert [r["iterations"] for r in one] == [2, 3, 5]
    assert one[0]["fit_seconds"] < one[1]["fit_seconds"] < one[2]["fit_seconds"]


def test_grid_refuses_evaluated_customers_without_history():
    history, ground_truth, prices = grid_inputs()
    stranger = pa.table({"user_id": pa.array([1], pa.int64()), "item_id": pa.array([5000], pa.int64())})
    with pytest.raises(ValueError, match="1 evaluated customer"):
        grid.grid_search(history, pa.concat_tables([ground_truth, stranger]), prices,
                         als.AlsParams(threads=1), BUCKET, cutoff_week=1, factors=(2,),
                         regularizations=(0.1,), iterations=(1,), weightings=("none",))
