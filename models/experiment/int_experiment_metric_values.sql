-- One row per experiment period, look, channel, customer of the channel's audience and metric: the
-- metric's per-customer parts, from which every statistic of the experiment follows. Each metric
-- is a ratio of sums over a group, sum(y) / sum(d): revenue per customer, retention and the
-- guardrail baskets per customer have d = 1, the average check is revenue / baskets. x and e are
-- the same over the pre-period, the CUPED covariate. A view: int_experiment_group_sums and
-- int_experiment_aa_sums add it up.
{{ config(materialized='view') }}

with audience_metrics as (

    select * from {{ ref('int_experiment_audience_metrics') }}

),

metric_parts as (

    select
        audience_metrics.*,
        'revenue_per_customer' as metric,
        audience_metrics.revenue as y,
        1.0 as d,
        audience_metrics.pre_revenue as x,
        1.0 as e
    from audience_metrics

    union all

    select
        audience_metrics.*,
        'retention' as metric,
        audience_metrics.retained as y,
        1.0 as d,
        audience_metrics.pre_retained as x,
        1.0 as e
    from audience_metrics

    union all

    select
        audience_metrics.*,
        'baskets_per_customer' as metric,
        audience_metrics.baskets as y,
        1.0 as d,
        audience_metrics.pre_baskets as x,
        1.0 as e
    from audience_metrics
    union all
    select
        audience_metrics.*,
        'average_check' as metric,
        audience_metrics.revenue as y,
        audience_metrics.baskets as d,
        audience_metrics.pre_revenue as x,
        audience_metrics.pre_baskets as e
    from audience_metrics

)

select
    metric_parts.period,
    metric_parts.look,
    metric_parts.channel,
    metric_parts.user_id,
    metric_parts.experiment_group,
    metric_parts.metric,
    cast(metric_parts.y as double) as y,
    cast(metric_parts.d as double) as d,
    cast(metric_parts.x as double) as x,
    cast(metric_parts.e as double) as e
from metric_parts
