-- One row per experiment period, look, channel, metric and experiment group: the group's sums of
-- the metric's parts (macro experiment_sums), all that the readouts and the power tables need of
-- the customers. A few rows per look, whatever the number of customers.
with metric_values as (

    select * from {{ ref('int_experiment_metric_values') }}

)

select
    metric_values.period,
    metric_values.look,
    metric_values.channel,
    metric_values.metric,
    metric_values.experiment_group,
    {{ experiment_sums('metric_values') }}
from metric_values
group by
    metric_values.period, metric_values.look, metric_values.channel, metric_values.metric,
    metric_values.experiment_group
