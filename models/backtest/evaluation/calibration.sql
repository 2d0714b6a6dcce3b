-- One row per backtest cutoff and decile of the ranker's probability over every candidate of
-- every recipient: the mean predicted probability against the share actually bought in the
-- window. Where they agree, score x price (expected_revenue) means money.
with candidates as (

    select * from {{ ref('int_email_candidates') }}

),

cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

window_purchases as (

    select * from {{ ref('int_window_purchases') }}

),

scored as (

    select
        candidates.cutoff_week,
        candidates.score as probability,
        window_purchases.item_id is not null as is_bought,
        ntile(10) over (
            partition by candidates.cutoff_week
            order by candidates.score, candidates.user_id, candidates.item_id
        ) as decile
    from candidates
    inner join cutoffs
        on candidates.cutoff_week = cutoffs.cutoff_week
    left join window_purchases
        on candidates.cutoff_week = window_purchases.cutoff_week
        and candidates.user_id = window_purchases.user_id
        and candidates.item_id = window_purchases.item_id
    where cutoffs.cutoff_kind = 'backtest'

)

select
    scored.cutoff_week,
    scored.decile,
    count(*) as n_candidates,
    avg(scored.probability) as mean_probability,
    avg(scored.is_bought::integer) as purchase_rate,
    min(scored.probability) as min_probability,
    max(scored.probability) as max_probability
from scored
group by scored.cutoff_week, scored.decile
