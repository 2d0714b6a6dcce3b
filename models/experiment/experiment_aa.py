# One row per channel and metric: the readout of experiment_readout run on the history period
# (no treatment) once per A/A salt, and how often it claimed an effect. Only group sums (one row
# per salt, channel and metric) reach Python; the statistics live in recsys.experiment.
from recsys import experiment, frames


def model(dbt, session):
    weeks = int(dbt.config.get("experiment_weeks"))
    history = f"period = 'history' and look = {weeks}"
    sums = frames.to_arrow(dbt.ref("int_experiment_group_sums").filter(history))
    shape = frames.to_arrow(dbt.ref("int_experiment_metric_shape").filter(history))
    aa_sums = frames.to_arrow(dbt.ref("int_experiment_aa_sums"))
    return frames.from_arrow(experiment.aa_table(
        sums, shape, aa_sums, int(dbt.config.get("aa_salts")),
        float(dbt.config.get("control_share")), int(dbt.config.get("min_group_customers"))),
        session)
