# One row per channel and metric: the minimum detectable effect of the hold-out experiment on the
# channel's audience, plain and with CUPED, from the history period. The statistics live in
# recsys.experiment.
from recsys import experiment, frames


def model(dbt, session):
    audience = frames.to_arrow(dbt.ref("int_experiment_audience_metrics").filter("period = 'history'"))
    goals = frames.to_arrow(dbt.ref("experiment_metrics"))
    return frames.from_arrow(
        experiment.power_table(audience, goals, float(dbt.config.get("control_share"))), session)
