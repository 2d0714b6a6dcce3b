# One row per cutoff with a ranker (every cutoff but the training one), customer and candidate:
# the probability that the customer buys the item in the horizon_weeks after the cutoff. The
# model applied at a cutoff is fitted on int_ranker_training, whose features and labels end at
# that cutoff. The logic lives in recsys.ranker; the parameters come from the vars via ranker.yml.
from recsys import ranker
from recsys.dbt_model import log_to_dbt


# candidates scored per batch: a few tens of MB of features at a time
SCORING_BATCH_ROWS = 200_000


def model(dbt, session):
    log_to_dbt()
    params = ranker.RankerParams.from_config({
        "trees": dbt.config.get("ranker_trees"),
        "learning_rate": dbt.config.get("ranker_learning_rate"),
        "leaves": dbt.config.get("ranker_leaves"),
        "min_child_samples": dbt.config.get("ranker_min_child_samples"),
        "negative_rate": dbt.config.get("ranker_negative_rate"),
        "seed": dbt.config.get("ranker_seed"),
        "threads": dbt.config.get("ranker_threads"),
        "max_training_rows": dbt.config.get("ranker_max_training_rows"),
        "workers": dbt.config.get("ranker_workers"),
    })
    # the engines differ only inside ranker.scores: on DuckDB the candidates stream through this
    # process batch by batch; on Spark they are scored on the executors (mapInArrow) and only the
    # cutoff weeks and the bounded training sample reach the driver
    return ranker.scores(dbt.ref("int_ranker_training"), dbt.ref("int_ranker_features"), params,
                         session, SCORING_BATCH_ROWS)
