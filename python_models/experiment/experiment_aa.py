# One row per channel and metric: the readout of experiment_readout run on the history period
# (no treatment) once per A/A salt, and how often it claimed an effect.
from recsys import experiment, frames


def model(dbt, session):
    audience = frames.to_arrow(dbt.ref("int_experiment_audience_metrics").filter("period = 'history'"))
    draws = frames.to_arrow(dbt.ref("int_experiment_aa_draws"))
    return frames.from_arrow(experiment.aa_table(audience, draws), session)
