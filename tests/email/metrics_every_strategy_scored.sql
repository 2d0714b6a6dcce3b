-- metrics_at_k has k = 1, 3 and 5 for all six strategies, and k = 10 for the five that keep a
-- longer list (all but email_policy), at every backtest cutoff.
with expected as (

    select
        cutoffs.cutoff_week,
        strategies.strategy,
        ks.k
    from {{ ref('int_cutoffs') }} as cutoffs
    cross join
        (values ('email_policy'), ('popularity'), ('own_top'), ('als'), ('hybrid'), ('ranker')) as strategies (strategy)
    cross join (values (1), (3), (5), (10)) as ks (k)
    where cutoffs.cutoff_kind = 'backtest'
        and not (strategies.strategy = 'email_policy' and ks.k > 5)

)

select expected.*
from expected
anti join {{ ref('metrics_at_k') }} as metrics_at_k
    on expected.cutoff_week = metrics_at_k.cutoff_week
    and expected.strategy = metrics_at_k.strategy
    and expected.k = metrics_at_k.k
