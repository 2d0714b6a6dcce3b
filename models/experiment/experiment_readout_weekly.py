# One row per look (recorded send week with its data in), channel and metric: the campaign read
# out every week, with the naive p-value of a single look and the group sequential test that keeps
# the error rate over all the planned looks, and the checks beside it. Before anything is recorded,
# a row per channel and metric that says so. The statistics live in recsys.weekly_readout.
from recsys import frames, weekly_readout


def model(dbt, session):
    readout = "period = 'readout'"
    sums = frames.to_arrow(dbt.ref("int_experiment_group_sums").filter(readout))
    shape = frames.to_arrow(dbt.ref("int_experiment_metric_shape").filter(readout))
    looks = frames.to_arrow(dbt.ref("int_experiment_looks").filter(readout))
    plan = frames.to_arrow(dbt.ref("experiment_plan"))
    period = frames.to_arrow(dbt.ref("int_experiment_periods").filter(readout)).to_pylist()[0]
    return frames.from_arrow(weekly_readout.weekly_table(
        sums, shape, looks, plan, float(dbt.config.get("control_share")),
        int(dbt.config.get("min_group_customers")), int(dbt.config.get("experiment_weeks")),
        bool(period["started"])), session)
