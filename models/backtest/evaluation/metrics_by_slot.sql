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

),

slot_hits as (

    select
        recommendations.cutoff_week,
        recommendations.slot,
        count(distinct recommendations.user_id) as n_users,
        count(*) as n_items,
        {{ list_hits('recommendations.price', 'ground_truth.item_id') }}
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

)

select
    slot_hits.cutoff_week,
    slot_hits.slot,
    slot_hits.n_users,
    slot_hits.n_items,
    slot_hits.hits as n_hits,
    slot_hits.hits / slot_hits.n_items as hit_rate,
    {{ money_precision('slot_hits.hit_value', 'slot_hits.recommended_value') }} as money_hit_rate
from slot_hits
order by slot_hits.cutoff_week, slot_hits.slot
