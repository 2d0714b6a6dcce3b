# One row per cutoff, customer and rank 1..als_candidates: the customer's best items by ALS score,
# fitted on the cutoff's int_als_matrix (int_interactions with integer keys). The e-mail slots pick
# from these candidates. The logic (matrix, fit, batch top-N) lives in recsys.als: implicit on
# DuckDB, Spark MLlib's ALS on Spark; the parameters come from the vars, passed in as config by
# als.yml (on Spark the mllib_* vars, tuned for MLlib).
from recsys import als, frames
from recsys.dbt_model import log_to_dbt


def model(dbt, session):
    log_to_dbt()
    if frames.is_spark(session):
        tuned = {
            "factors": dbt.config.get("mllib_factors"),
            "regularization": dbt.config.get("mllib_regularization"),
            "iterations": dbt.config.get("mllib_iterations"),
            "alpha": dbt.config.get("mllib_alpha"),
        }
    else:
        tuned = {
            "factors": dbt.config.get("als_factors"),
            "regularization": dbt.config.get("als_regularization"),
            "iterations": dbt.config.get("als_iterations"),
            "alpha": dbt.config.get("als_alpha"),
            "weighting": dbt.config.get("als_weighting"),
        }
    params = als.AlsParams.from_config({
        **tuned,
        "random_state": dbt.config.get("als_random_state"),
        "threads": dbt.config.get("als_threads"),
    })
    n, bucket_item_id = dbt.config.get("als_candidates"), dbt.config.get("bucket_item_id")
    matrix = dbt.ref("int_als_matrix")
    if frames.is_spark(session):
        return als.candidates_per_cutoff(matrix, params, n=n, bucket_item_id=bucket_item_id)
    cutoffs = frames.to_arrow(matrix.select("cutoff_week").distinct())["cutoff_week"].to_pylist()

    def interactions_at(cutoff):
        return frames.to_arrow_beside(
            matrix.filter(f"cutoff_week = {int(cutoff)}").select("user_id", "item_id", "weight"), session)

    # one cutoff in memory at a time: each is read and fitted as dbt writes the one before, with
    # DuckDB's pages evicted down to als_duckdb_memory_limit beside the fit
    return frames.with_memory_limit(
        als.candidate_stream(cutoffs, interactions_at, params, n, bucket_item_id), session,
        limit=dbt.config.get("als_duckdb_memory_limit"), restore_to=dbt.config.get("duckdb_memory_limit"))
