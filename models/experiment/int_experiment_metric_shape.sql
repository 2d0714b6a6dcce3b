-- One row per experiment period, look, channel and metric: the shape of the metric over the channel's
-- whole audience (both groups), as sums of powers of its parts centred on the channel's ratios,
-- a = y - R d and b = x - X e (R = sum y / sum d, X = sum x / sum e). recsys.experiment takes
-- from them the excess kurtosis of the linearised outcome and of its CUPED residual, which sets
-- how far a group's variance can be trusted (Welch's degrees of freedom): a few big spenders in
-- a small group make its variance swing.
with metric_values as (

    select * from {{ ref('int_experiment_metric_values') }}

),

ratios as (

    select
        metric_values.period,
        metric_values.look,
        metric_values.channel,
        metric_values.metric,
        sum(metric_values.y) / nullif(sum(metric_values.d), 0) as outcome_ratio,
        sum(metric_values.x) / nullif(sum(metric_values.e), 0) as pre_ratio
    from metric_values
    group by metric_values.period, metric_values.look, metric_values.channel, metric_values.metric

),

centred as (

    select
        metric_values.period,
        metric_values.look,
        metric_values.channel,
        metric_values.metric,
        metric_values.y - ratios.outcome_ratio * metric_values.d as a,
        metric_values.x - ratios.pre_ratio * metric_values.e as b
    from metric_values
    inner join ratios
        on metric_values.period = ratios.period
        and metric_values.look = ratios.look
        and metric_values.channel = ratios.channel
        and metric_values.metric = ratios.metric

)

select
    centred.period,
    centred.look,
    centred.channel,
    centred.metric,
    count(*) as n,
    sum(centred.a * centred.a) as sum_aa,
    sum(centred.a * centred.b) as sum_ab,
    sum(centred.b * centred.b) as sum_bb,
    sum(centred.a * centred.a * centred.a * centred.a) as sum_aaaa,
    sum(centred.a * centred.a * centred.a * centred.b) as sum_aaab,
    sum(centred.a * centred.a * centred.b * centred.b) as sum_aabb,
    sum(centred.a * centred.b * centred.b * centred.b) as sum_abbb,
    sum(centred.b * centred.b * centred.b * centred.b) as sum_bbbb
from centred
group by centred.period, centred.look, centred.channel, centred.metric
