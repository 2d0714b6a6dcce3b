-- One row per cutoff and customer: the share of the customer's lines bought with a store discount.
with cutoff_transactions as (

    select * from {{ ref('int_cutoff_transactions') }}

)

select
    cutoff_transactions.cutoff_week,
    cutoff_transactions.user_id,
    count(*) as n_lines,
    count(*) filter (where cutoff_transactions.retail_disc > 0) as n_discounted_lines,
    count(*) filter (where cutoff_transactions.retail_disc > 0) / count(*) as promo_affinity
from cutoff_transactions
group by cutoff_transactions.cutoff_week, cutoff_transactions.user_id
