# One row per ALS configuration of the course's grid (factors x regularization x iterations, for
# weighting none and bm25), scored on the latest backtest cutoff: precision@5 and money
# precision@5 of every evaluated customer's top 5. Opt-in: built by `make grid` (var run_grid).
from recsys import als, grid


def model(dbt, session):
    als.log_to_dbt()
    base = als.AlsParams.from_config({
        "alpha": dbt.config.get("als_alpha"),
        "random_state": dbt.config.get("als_random_state"),
        "threads": dbt.config.get("als_threads"),
    })
    backtests = (dbt.ref("int_cutoffs").filter("cutoff_kind = 'backtest'")
                 .aggregate("max(cutoff_week)").fetchall())
    cutoff_week = backtests[0][0]
    if cutoff_week is None:
        raise ValueError("als_grid needs a backtest cutoff; int_cutoffs has none (var backtest_folds)")
    at_cutoff = f"cutoff_week = {int(cutoff_week)}"
    return grid.grid_search(
        interactions=dbt.ref("int_interactions").filter(at_cutoff)
        .select("user_id", "item_id", "weight").to_arrow_table(),
        ground_truth=dbt.ref("ground_truth").filter(at_cutoff).select("user_id", "item_id").to_arrow_table(),
        prices=dbt.ref("int_item_price").filter(at_cutoff).select("item_id", "price").to_arrow_table(),
        base=base,
        bucket_item_id=als.as_int(dbt.config.get("bucket_item_id"), "bucket_item_id"),
        cutoff_week=int(cutoff_week),
    )
