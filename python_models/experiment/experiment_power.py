# One row per channel and metric: the minimum detectable effect of the hold-out experiment on the
# channel's audience, plain and with CUPED, from the history period. The statistics live in
# recsys.experiment.
from recsys import experiment


def model(dbt, session):
    audience = (dbt.ref("int_experiment_audience_metrics")
                .filter("period = 'history'").to_arrow_table())
    goals = dbt.ref("experiment_metrics").to_arrow_table()
    return experiment.power_table(audience, goals, float(dbt.config.get("control_share")))
