-- One row per experiment period, look, channel and customer analysed: the customer's group, the
-- pre-period (int_experiment_pre_period) and the look's outcome (int_experiment_customer_metrics).
-- A customer of the audience without any purchase in the data counts 0 everywhere.
{{ config(materialized='view') }}
with audience as (

    select * from {{ ref('int_experiment_audience') }}

),

pre_period as (

    select * from {{ ref('int_experiment_pre_period') }}

),

customer_metrics as (

    select * from {{ ref('int_experiment_customer_metrics') }}

),

looks as (

    select * from {{ ref('int_experiment_looks') }}

)

select
    audience.period,
    looks.look,
    audience.channel,
    audience.user_id,
    audience.experiment_group,
    coalesce(pre_period.stratum, 0) as stratum,
    coalesce(pre_period.pre_revenue, 0) as pre_revenue,
    coalesce(pre_period.pre_baskets, 0) as pre_baskets,
    coalesce(pre_period.pre_retained, 0) as pre_retained,
    coalesce(customer_metrics.revenue, 0) as revenue,
    coalesce(customer_metrics.baskets, 0) as baskets,
    coalesce(customer_metrics.retained, 0) as retained
from audience
inner join looks
    on audience.period = looks.period
left join pre_period
    on audience.period = pre_period.period
    and audience.user_id = pre_period.user_id
left join customer_metrics
    on looks.period = customer_metrics.period
    and looks.look = customer_metrics.look
    and audience.user_id = customer_metrics.user_id
