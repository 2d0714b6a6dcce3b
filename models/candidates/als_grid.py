# One row per ALS configuration of the grid, scored on the latest backtest cutoff: precision@5 and
# money precision@5 of every evaluated customer's top 5. On DuckDB implicit's grid, the course's
# (factors x regularization x iterations, for weighting none and bm25); on Spark MLlib's grid, on its
# own scale (recsys.grid). Opt-in: built by `make grid` (var run_grid).
import pyarrow.compute as pc

from recsys import als, frames, grid
from recsys.dbt_model import as_int, log_to_dbt


def model(dbt, session):
    log_to_dbt()
    base = als.AlsParams.from_config({
        "alpha": dbt.config.get("als_alpha"),
        "random_state": dbt.config.get("als_random_state"),
        "threads": dbt.config.get("als_threads"),
    })
    backtests = frames.to_arrow(dbt.ref("int_cutoffs").filter("cutoff_kind = 'backtest'").select("cutoff_week"))
    cutoff_week = pc.max(backtests["cutoff_week"]).as_py()
    if cutoff_week is None:
        raise ValueError("als_grid needs a backtest cutoff; int_cutoffs has none (var backtest_folds)")
    at_cutoff = f"cutoff_week = {int(cutoff_week)}"
    # MLlib fits on the Spark DataFrame's session; implicit on an Arrow table
    interactions = dbt.ref("int_interactions").filter(at_cutoff).select("user_id", "item_id", "weight")
    if not frames.is_spark(session):
        interactions = frames.to_arrow(interactions)
    return frames.from_arrow(grid.grid_search(
        interactions=interactions,
        ground_truth=frames.to_arrow(dbt.ref("ground_truth").filter(at_cutoff).select("user_id", "item_id")),
        prices=frames.to_arrow(dbt.ref("int_item_price").filter(at_cutoff).select("item_id", "price")),
        base=base,
        bucket_item_id=as_int(dbt.config.get("bucket_item_id"), "bucket_item_id"),
        cutoff_week=int(cutoff_week),
    ), session)
