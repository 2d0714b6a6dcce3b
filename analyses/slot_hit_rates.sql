-- How often each slot's items were bought in the test window (README: "How good is it").
select
    cutoff_week,
    slot,
    n_items,
    n_hits,
    round(hit_rate, 3) as hit_rate,
    round(money_hit_rate, 3) as money_hit_rate
from {{ ref('metrics_by_slot') }}
order by cutoff_week asc, hit_rate desc
