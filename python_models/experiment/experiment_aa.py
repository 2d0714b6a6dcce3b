# One row per channel and metric: the readout of experiment_readout run on the history period
# (no treatment) once per A/A salt, and how often it claimed an effect.
from recsys import experiment


def model(dbt, session):
    audience = (dbt.ref("int_experiment_audience_metrics")
                .filter("period = 'history'").to_arrow_table())
    draws = dbt.ref("int_experiment_aa_draws").to_arrow_table()
    return experiment.aa_table(audience, draws)
