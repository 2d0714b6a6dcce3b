-- One row per backtest cutoff, strategy, k and evaluated customer: hits and money of the
-- strategy's first k items against the customer's purchases in the test window. A customer for
-- whom a strategy has fewer than k items (or none) still counts; the missing places are misses.
-- k runs over the var metric_ks (1, 3, 5, 10) where the strategy keeps that many positions.
with recommendations as (

    select * from {{ ref('recommendations') }}

),

ground_truth as (

    select * from {{ ref('ground_truth') }}

),

evaluated as (

    select
        ground_truth.cutoff_week,
        ground_truth.user_id,
        count(*) as n_bought,
        sum(ground_truth.price) as bought_value
    from ground_truth
    group by ground_truth.cutoff_week, ground_truth.user_id

),

strategy_depth as (

    select
        recommendations.cutoff_week,
        recommendations.strategy,
        max(recommendations.position) as depth
    from recommendations
    inner join evaluated
        on recommendations.cutoff_week = evaluated.cutoff_week
    group by recommendations.cutoff_week, recommendations.strategy

),

ks as (

    select ks.k
    from (
        values {% for k in var('metric_ks') -%}
            ({{ k }}){{ ', ' if not loop.last }}
        {%- endfor %}
    ) as ks (k)

),

strategy_k as (

    select
        strategy_depth.cutoff_week,
        strategy_depth.strategy,
        ks.k
    from strategy_depth
    cross join ks
    where ks.k <= strategy_depth.depth

),

recommended as (

    select
        strategy_k.cutoff_week,
        strategy_k.strategy,
        strategy_k.k,
        recommendations.user_id,
        count(*) as n_recommended,
        {{ list_hits('recommendations.price', 'ground_truth.item_id') }}
    from strategy_k
    inner join recommendations
        on strategy_k.cutoff_week = recommendations.cutoff_week
        and strategy_k.strategy = recommendations.strategy
        and recommendations.position <= strategy_k.k
    left join ground_truth
        on recommendations.cutoff_week = ground_truth.cutoff_week
        and recommendations.user_id = ground_truth.user_id
        and recommendations.item_id = ground_truth.item_id
    group by all

)

select
    strategy_k.cutoff_week,
    strategy_k.strategy,
    strategy_k.k,
    evaluated.user_id,
    evaluated.n_bought,
    evaluated.bought_value,
    coalesce(recommended.n_recommended, 0) as n_recommended,
    coalesce(recommended.recommended_value, 0) as recommended_value,
    coalesce(recommended.hits, 0) as hits,
    coalesce(recommended.hit_value, 0) as hit_value
from strategy_k
inner join evaluated
    on strategy_k.cutoff_week = evaluated.cutoff_week
left join recommended
    on strategy_k.cutoff_week = recommended.cutoff_week
    and strategy_k.strategy = recommended.strategy
    and strategy_k.k = recommended.k
    and evaluated.user_id = recommended.user_id
