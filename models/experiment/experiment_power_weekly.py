# One row per number of campaign weeks (1 .. experiment_weeks), channel and metric: the minimum
# detectable effect had the readout been made after that many weeks, from the history period's
# looks. The statistics live in recsys.experiment.
from recsys import experiment, frames, weekly_readout


def model(dbt, session):
    sums = frames.to_arrow(dbt.ref("int_experiment_group_sums").filter("period = 'history'"))
    shape = frames.to_arrow(dbt.ref("int_experiment_metric_shape").filter("period = 'history'"))
    goals = frames.to_arrow(dbt.ref("experiment_metrics"))
    return frames.from_arrow(experiment.power_by_week_table(
        sums, shape, goals, float(dbt.config.get("control_share")),
        int(dbt.config.get("min_group_customers")),
        weekly_readout.final_nominal_alpha(int(dbt.config.get("experiment_weeks")))), session)
