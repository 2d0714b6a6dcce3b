# One row per channel and metric: the minimum detectable effect of the hold-out experiment on the
# channel's audience, plain and with CUPED, from the history period's group sums (its final look:
# the whole period). The statistics live in recsys.experiment.
from recsys import experiment, frames, weekly_readout


def model(dbt, session):
    weeks = int(dbt.config.get("experiment_weeks"))
    history = f"period = 'history' and look = {weeks}"
    sums = frames.to_arrow(dbt.ref("int_experiment_group_sums").filter(history))
    shape = frames.to_arrow(dbt.ref("int_experiment_metric_shape").filter(history))
    goals = frames.to_arrow(dbt.ref("experiment_metrics"))
    return frames.from_arrow(experiment.power_table(
        sums, shape, goals, float(dbt.config.get("control_share")),
        int(dbt.config.get("min_group_customers")),
        weekly_readout.final_nominal_alpha(int(dbt.config.get("experiment_weeks")))), session)
