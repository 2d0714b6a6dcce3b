# One row per cutoff with a ranker (every cutoff but the training one), customer and candidate:
# the probability that the customer buys the item in the horizon_weeks after the cutoff. The
# model applied at a cutoff is fitted on int_ranker_training, whose features and labels end at
# that cutoff. The logic lives in recsys.ranker; the parameters come from the vars via ranker.yml.
from recsys import frames, ranker
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
    })
    training = dbt.ref("int_ranker_training")
    features = dbt.ref("int_ranker_features")
    cutoffs = frames.to_arrow(training.select("cutoff_week").distinct())["cutoff_week"].to_pylist()

    def rows_at(relation, cutoff):
        return relation.filter(f"cutoff_week = {int(cutoff)}")

    # only the sampled training rows leave the database, in a fixed order, so that the fit is the
    # same on every build; scoring is per row and needs none, and streams batch by batch
    return frames.from_arrow(ranker.score_cutoffs(
        cutoffs, lambda cutoff: frames.to_arrow(ranker.training_sample(rows_at(training, cutoff), params)),
        lambda cutoff: frames.record_batches(rows_at(features, cutoff), session, SCORING_BATCH_ROWS),
        params), session)
