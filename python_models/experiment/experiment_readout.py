# One row per channel and metric: the experiment read out on its outcome weeks, treatment against
# control, plain and with CUPED. The statistics live in recsys.experiment.
from recsys import experiment, frames


def model(dbt, session):
    audience = frames.to_arrow(dbt.ref("int_experiment_audience_metrics").filter("period = 'readout'"))
    period = frames.to_arrow(dbt.ref("int_experiment_periods").filter("period = 'readout'")
                             .select("outcome_first_week", "outcome_data_last_week")).to_pylist()[0]
    return frames.from_arrow(experiment.readout_table(
        audience, period["outcome_first_week"], period["outcome_data_last_week"]), session)
