-- One row per experiment period, channel and customer of the channel's audience: the customer's
-- group and metrics. The readout reads the readout period; power and the A/A check the history.
{{ config(materialized='view') }}

with groups as (

    select * from {{ ref('experiment_groups') }}

),

customer_metrics as (

    select * from {{ ref('int_experiment_customer_metrics') }}

)

select
    customer_metrics.period,
    groups.channel,
    groups.user_id,
    groups.experiment_group,
    groups.stratum,
    customer_metrics.pre_revenue,
    customer_metrics.pre_baskets,
    customer_metrics.pre_retained,
    customer_metrics.revenue,
    customer_metrics.baskets,
    customer_metrics.retained
from groups
inner join customer_metrics
    on groups.user_id = customer_metrics.user_id
