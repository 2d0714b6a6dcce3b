-- One row per backtest cutoff and e-mail slot: how often the slot's items were bought in the test
-- window, over the evaluated customers' e-mails.
with recommendations as (

    select * from {{ ref('recommendations') }}

),

ground_truth as (

    select * from {{ ref('ground_truth') }}

),

evaluated as (

    select distinct
        ground_truth.cutoff_week,
        ground_truth.user_id
    from ground_truth

)

select
    recommendations.cutoff_week,
    recommendations.slot,
    count(distinct recommendations.user_id) as n_users,
    count(*) as n_items,
    count(ground_truth.item_id) as n_hits,
    count(ground_truth.item_id) / count(*) as hit_rate,
    coalesce(sum(recommendations.price) filter (where ground_truth.item_id is not null), 0)
    / sum(recommendations.price) as money_hit_rate
from recommendations
inner join evaluated
    on recommendations.cutoff_week = evaluated.cutoff_week
    and recommendations.user_id = evaluated.user_id
left join ground_truth
    on recommendations.cutoff_week = ground_truth.cutoff_week
    and recommendations.user_id = ground_truth.user_id
    and recommendations.item_id = ground_truth.item_id
where recommendations.strategy = 'email_policy'
group by recommendations.cutoff_week, recommendations.slot
order by recommendations.cutoff_week, recommendations.slot
