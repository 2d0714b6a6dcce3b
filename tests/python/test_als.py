"""recsys.als without dbt: matrix building, id maps, parameters, determinism and the top-N."""

import numpy as np
import pyarrow as pa
import pytest

from recsys import als

BUCKET = 999999


def synthetic_interactions(n_users=60, n_items=40, per_user=8, seed=0, cutoff_week=None):
    """Customers buying from two taste groups, plus the bucket item, with sparse ids."""
    rng = np.random.default_rng(seed)
    users, items, weights = [], [], []
    for user in range(n_users):
        group = user % 2
        pool = np.arange(group * n_items // 2, (group + 1) * n_items // 2)
        chosen = rng.choice(pool, size=per_user, replace=False)
        users += [1000 + 7 * user] * (per_user + 1)
        items += [int(5000 + 3 * item) for item in chosen] + [BUCKET]
        weights += list(rng.integers(1, 6, size=per_user).astype(float)) + [float(rng.integers(5, 20))]
    columns = {"user_id": pa.array(users, pa.int64()), "item_id": pa.array(items, pa.int64()),
               "weight": pa.array(weights, pa.float64())}
    if cutoff_week is not None:
        columns = {"cutoff_week": pa.array([cutoff_week] * len(users), pa.int32()), **columns}
    return pa.table(columns)


SMALL = pa.table({
    "user_id": pa.array([30, 10, 10, 20, 30, 30], pa.int64()),
    "item_id": pa.array([7, 5, 9, 9, 5, 9], pa.int64()),
    "weight": pa.array([1.0, 2.0, 3.0, 4.0, 5.0, 0.5]),
})


def test_matrix_shape_values_and_sums():
    built = als.build_matrix(SMALL)
    assert built.matrix.shape == (3, 3)
    assert built.matrix.nnz == 6
    assert built.matrix.dtype == np.float32
    assert list(built.user_ids) == [10, 20, 30]
    assert list(built.item_ids) == [5, 7, 9]
    expected = np.array([[2.0, 0.0, 3.0],
                         [0.0, 0.0, 4.0],
                         [5.0, 1.0, 0.5]])
    assert np.array_equal(built.matrix.toarray(), expected)
    assert np.allclose(np.ravel(built.matrix.sum(axis=1)), [5.0, 4.0, 6.5])
    assert np.allclose(np.ravel(built.matrix.sum(axis=0)), [7.0, 1.0, 7.5])


def test_matrix_accepts_decimal_weights_and_int32_ids():
    typed = pa.table({
        "user_id": SMALL["user_id"].cast(pa.int32()),
        "item_id": SMALL["item_id"].cast(pa.int32()),
        "weight": SMALL["weight"].cast(pa.decimal128(18, 3)),
    })
    assert np.array_equal(als.build_matrix(typed).matrix.toarray(), als.build_matrix(SMALL).matrix.toarray())


def test_matrix_of_a_table_in_several_chunks():
    # DuckDB hands a cutoff over as many record batches: the ids are looked up across chunks
    chunked = pa.concat_tables([SMALL.slice(0, 2), SMALL.slice(2, 1), SMALL.slice(3)])
    assert chunked["user_id"].num_chunks == 3
    built, whole = als.build_matrix(chunked), als.build_matrix(SMALL)
    assert np.array_equal(built.matrix.toarray(), whole.matrix.toarray())
    assert list(built.user_ids) == [10, 20, 30] and list(built.item_ids) == [5, 7, 9]


def test_id_maps_round_trip():
    table = synthetic_interactions()
    built = als.build_matrix(table)
    rows, cols = built.matrix.nonzero()
    pairs = set(zip(built.user_ids[rows].tolist(), built.item_ids[cols].tolist()))
    assert pairs == set(zip(table["user_id"].to_pylist(), table["item_id"].to_pylist()))
    assert np.array_equal(built.user_index(built.user_ids), np.arange(len(built.user_ids)))
    assert np.array_equal(built.item_index(built.item_ids), np.arange(len(built.item_ids)))
    assert list(built.item_index([BUCKET, 4, 10**12])) == [len(built.item_ids) - 1, -1, -1]


def test_matrix_rejects_repeated_pairs_and_bad_weights():
    repeated = pa.concat_tables([SMALL, SMALL.slice(0, 1)])
    with pytest.raises(ValueError, match="1 repeated"):
        als.build_matrix(repeated)
    negative = SMALL.set_column(2, "weight", pa.array([1.0, -2.0, 3.0, 0.0, 5.0, float("nan")]))
    with pytest.raises(ValueError, match="3 weight"):
        als.build_matrix(negative)
    with pytest.raises(ValueError, match="lack column"):
        als.build_matrix(SMALL.drop_columns(["weight"]))


def test_weighting_keeps_the_pattern_and_changes_the_values():
    built = als.build_matrix(synthetic_interactions())
    for weighting in ("bm25", "tfidf"):
        weighted = als.weight_matrix(built.matrix, weighting)
        assert weighted.shape == built.matrix.shape
        assert weighted.dtype == np.float32
        assert (weighted != 0).sum() == built.matrix.nnz
        assert not np.allclose(weighted.toarray(), built.matrix.toarray())
    assert als.weight_matrix(built.matrix, "none") is not None
    with pytest.raises(ValueError, match="not one of"):
        als.weight_matrix(built.matrix, "log")


def test_params_from_rendered_config():
    params = als.AlsParams.from_config({
        "factors": "64", "regularization": "0.001", "iterations": "10.0", "alpha": 2,
        "weighting": " BM25 ", "random_state": "7", "threads": "", "unrelated": "x",
    })
    assert params == als.AlsParams(factors=64, regularization=0.001, iterations=10, alpha=2.0,
                                   weighting="bm25", random_state=7, threads=0)
    with pytest.raises(ValueError, match="factors: '6.5' is not a whole number"):
        als.AlsParams.from_config({"factors": "6.5"})
    with pytest.raises(ValueError, match="not one of"):
        als.AlsParams.from_config({"weighting": "log"})


def test_candidates_shape_ranks_and_no_bucket():
    table = synthetic_interactions()
    n = 12
    params = als.AlsParams(factors=8, iterations=5, random_state=1, threads=1)
    result = als.candidates(table, params, n=n, bucket_item_id=BUCKET, cutoff_week=42)
    assert result.schema == als.CANDIDATES_SCHEMA
    users = sorted(set(table["user_id"].to_pylist()))
    assert result.num_rows == len(users) * n
    assert set(result["cutoff_week"].to_pylist()) == {42}
    assert BUCKET not in set(result["item_id"].to_pylist())

    user_id = np.asarray(result["user_id"])
    rank = np.asarray(result["als_rank"])
    score = np.asarray(result["als_score"])
    assert sorted(set(user_id.tolist())) == users
    for user in users[:5]:
        mine = user_id == user
        assert rank[mine].tolist() == list(range(1, n + 1))
        assert np.all(np.diff(score[mine]) <= 0), "scores must fall with the rank"
        assert len(set(np.asarray(result["item_id"])[mine].tolist())) == n


def test_batches_of_customers_change_no_candidate():
    # candidates are computed and handed on a few customers at a time; the batch size must not
    # change a row, its order or a score (37 customers: batches of 7 leave a short last one)
    table = synthetic_interactions(n_users=37, n_items=40)
    params = als.AlsParams(factors=8, iterations=5, weighting="bm25", random_state=2, threads=2)
    whole = als.candidates(table, params, n=6, bucket_item_id=BUCKET, cutoff_week=4)
    batches = list(als.candidate_batches(table, params, n=6, bucket_item_id=BUCKET, cutoff_week=4,
                                         users_per_batch=7))
    assert [batch.num_rows for batch in batches] == [7 * 6] * 5 + [2 * 6]
    assert pa.Table.from_batches(batches).equals(whole)
    assert whole.num_rows == 37 * 6


def test_candidates_learn_the_taste_groups():
    # Half the customers buy only from the first half of the items: their best candidates must
    # come from that half, or the fit learned nothing.
    table = synthetic_interactions(n_users=80, per_user=10)
    params = als.AlsParams(factors=4, iterations=10, regularization=0.01, random_state=3, threads=1)
    result = als.candidates(table, params, n=3, bucket_item_id=BUCKET, cutoff_week=1)
    first_half = set(int(5000 + 3 * item) for item in range(20))
    user_group = (np.asarray(result["user_id"]) - 1000) // 7 % 2
    in_first_half = np.isin(np.asarray(result["item_id"]), list(first_half))
    assert in_first_half[user_group == 0].mean() > 0.9
    assert in_first_half[user_group == 1].mean() < 0.1


def test_n_is_capped_at_the_eligible_items():
    params = als.AlsParams(factors=2, iterations=2, threads=1)
    result = als.candidates(SMALL, params, n=200, bucket_item_id=9, cutoff_week=1)
    # three items, one of them the bucket: two candidates per customer
    assert result.num_rows == 3 * 2
    assert set(result["item_id"].to_pylist()) == {5, 7}
    assert sorted(result["als_rank"].to_pylist()) == [1, 1, 1, 2, 2, 2]


def test_fixed_random_state_is_deterministic_across_runs_and_threads():
    table = synthetic_interactions(n_users=120, n_items=60)
    runs = [als.candidates(table, als.AlsParams(factors=16, iterations=8, weighting=weighting,
                                                random_state=5, threads=threads),
                           n=20, bucket_item_id=BUCKET, cutoff_week=3)
            for weighting in ("none", "bm25") for threads in (1, 1, 2)]
    assert runs[0].equals(runs[1]) and runs[0].equals(runs[2])
    assert runs[3].equals(runs[4]) and runs[3].equals(runs[5])
    assert not runs[0].equals(runs[3]), "bm25 weighting must change the result"
    other_seed = als.candidates(table, als.AlsParams(factors=16, iterations=8, random_state=6, threads=1),
                                n=20, bucket_item_id=BUCKET, cutoff_week=3)
    assert not other_seed.equals(runs[0])


def test_candidates_per_cutoff_fits_each_cutoff_alone():
    first = synthetic_interactions(n_users=30, seed=1, cutoff_week=10)
    second = synthetic_interactions(n_users=50, seed=2, cutoff_week=13)
    params = als.AlsParams(factors=4, iterations=3, random_state=0, threads=1)
    # n and the bucket id as dbt renders them: text
    result = als.candidates_per_cutoff(pa.concat_tables([second, first]), params, n="5", bucket_item_id=str(BUCKET))
    assert result.schema == als.CANDIDATES_SCHEMA
    assert result.filter(np.asarray(result["cutoff_week"]) == 10).num_rows == 30 * 5
    assert result.filter(np.asarray(result["cutoff_week"]) == 13).num_rows == 50 * 5
    alone = als.candidates(first.drop_columns(["cutoff_week"]), params, n=5, bucket_item_id=BUCKET,
                           cutoff_week=10)
    assert result.filter(np.asarray(result["cutoff_week"]) == 10).equals(alone)


def test_candidate_stream_reads_one_cutoff_at_a_time():
    first = synthetic_interactions(n_users=30, seed=1, cutoff_week=10)
    second = synthetic_interactions(n_users=50, seed=2, cutoff_week=13)
    by_week = {10: first, 13: second}
    params = als.AlsParams(factors=4, iterations=3, random_state=0, threads=1)
    read = []

    def interactions_at(week):
        read.append(week)
        return by_week[week].drop_columns(["cutoff_week"])

    stream = als.candidate_stream([13, 10], interactions_at, params, n="5", bucket_item_id=str(BUCKET))
    assert read == [], "nothing is read or fitted before the stream is"
    first_batch = stream.read_next_batch()
    assert read == [10] and set(first_batch["cutoff_week"].to_pylist()) == {10}
    rest = pa.Table.from_batches([first_batch] + list(stream))
    assert read == [10, 13]
    whole = als.candidates_per_cutoff(pa.concat_tables([second, first]), params, n=5, bucket_item_id=BUCKET)
    assert rest.equals(whole)
