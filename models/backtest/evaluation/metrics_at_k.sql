-- One row per backtest cutoff, strategy and k: the course's metrics averaged over the evaluated
-- customers (mission.md). money_precision is 0 for a customer with no recommendations. The means
-- are exact (exact_mean), so that two builds of the same data give the same bits.
with metrics_per_customer as (

    select * from {{ ref('metrics_per_customer') }}

)

select
    metrics_per_customer.cutoff_week,
    metrics_per_customer.strategy,
    metrics_per_customer.k,
    count(*) as n_users,
    {{ exact_mean('metrics_per_customer.hits / metrics_per_customer.k') }} as precision,
    {{ exact_mean('metrics_per_customer.hits / metrics_per_customer.n_bought') }} as recall,
    {{ exact_mean(money_precision('metrics_per_customer.hit_value', 'metrics_per_customer.recommended_value')) }}
        as money_precision,
    {{ exact_mean('metrics_per_customer.hit_value / metrics_per_customer.bought_value') }} as money_recall,
    {{ exact_mean(any_hit('metrics_per_customer.hits')) }} as hit_rate
from metrics_per_customer
group by metrics_per_customer.cutoff_week, metrics_per_customer.strategy, metrics_per_customer.k
order by metrics_per_customer.cutoff_week asc, metrics_per_customer.k asc, precision desc
