-- The strategies compared at k = 5 and 10 on every backtest cutoff (README: "How good is it").
select
    cutoff_week,
    strategy,
    k,
    n_users,
    precision,
    recall,
    money_precision,
    money_recall,
    hit_rate
from {{ ref('metrics_at_k') }}
where k in (5, 10)
order by cutoff_week asc, k asc, precision desc
