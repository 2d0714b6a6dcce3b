# One row per channel and metric: the experiment read out on its outcome weeks, treatment against
# control, plain and with CUPED. The statistics live in recsys.experiment.
from recsys import experiment


def model(dbt, session):
    audience = (dbt.ref("int_experiment_audience_metrics")
                .filter("period = 'readout'").to_arrow_table())
    first_week, last_week = (dbt.ref("int_experiment_periods").filter("period = 'readout'")
                             .select("outcome_first_week", "outcome_data_last_week").fetchall()[0])
    return experiment.readout_table(audience, first_week, last_week)
