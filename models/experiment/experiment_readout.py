# One row per channel and metric: the campaign read out at its latest look (the recorded send
# weeks whose data is in), treatment against control, plain and with CUPED, with the checks beside
# it (sample ratio, Holm's correction of the secondary metrics, the guardrail). Before anything is
# recorded, a row per channel and metric that says so. The statistics live in recsys.experiment
# and recsys.weekly_readout.
from recsys import frames, weekly_readout


def model(dbt, session):
    final = frames.to_arrow(dbt.ref("int_experiment_looks").filter("period = 'readout' and is_final")).to_pylist()
    period = frames.to_arrow(dbt.ref("int_experiment_periods").filter("period = 'readout'")).to_pylist()[0]
    look = final[0]["look"] if final else -1
    readout = f"period = 'readout' and look = {look}"
    sums = frames.to_arrow(dbt.ref("int_experiment_group_sums").filter(readout))
    shape = frames.to_arrow(dbt.ref("int_experiment_metric_shape").filter(readout))
    plan = frames.to_arrow(dbt.ref("experiment_plan"))
    return frames.from_arrow(weekly_readout.final_table(
        sums, shape, plan, period["outcome_first_week"], final[0]["outcome_data_last_week"] if final else None,
        float(dbt.config.get("control_share")), int(dbt.config.get("min_group_customers")),
        bool(period["started"])), session)
