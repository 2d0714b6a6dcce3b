-- Every strategy of a backtest cutoff is scored on the same customers: the evaluated ones.
select
    metrics_at_k.*,
    evaluation_customers.n_evaluated
from {{ ref('metrics_at_k') }} as metrics_at_k
inner join {{ ref('evaluation_customers') }} as evaluation_customers
    on metrics_at_k.cutoff_week = evaluation_customers.cutoff_week
where metrics_at_k.n_users <> evaluation_customers.n_evaluated
