# One row per cutoff, customer and rank 1..als_candidates: the customer's best items by ALS score,
# fitted on the cutoff's int_interactions. The e-mail slots pick from these candidates.
# The logic (matrix, fit, batch top-N) lives in recsys.als; the parameters come from the vars,
# passed in as config by als.yml.
from recsys import als


def model(dbt, session):
    als.log_to_dbt()
    params = als.AlsParams.from_config({
        "factors": dbt.config.get("als_factors"),
        "regularization": dbt.config.get("als_regularization"),
        "iterations": dbt.config.get("als_iterations"),
        "alpha": dbt.config.get("als_alpha"),
        "weighting": dbt.config.get("als_weighting"),
        "random_state": dbt.config.get("als_random_state"),
        "threads": dbt.config.get("als_threads"),
    })
    interactions = (dbt.ref("int_interactions")
                    .select("cutoff_week", "user_id", "item_id", "weight")
                    .to_arrow_table())
    return als.candidates_per_cutoff(interactions, params, n=dbt.config.get("als_candidates"),
                                     bucket_item_id=dbt.config.get("bucket_item_id"))
