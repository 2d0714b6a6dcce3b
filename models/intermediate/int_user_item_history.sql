-- One row per cutoff, customer and item the customer bought up to the cutoff. "Bought" is any
-- line with quantity > 0, even at zero price or in an excluded department, so that the new-item
-- slot never offers something the customer already had. The counts use clean lines only.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

transaction_checks as (

    select * from {{ ref('stg_transaction_checks') }}

)

select
    cutoffs.cutoff_week,
    transaction_checks.user_id,
    transaction_checks.item_id,
    count(distinct transaction_checks.basket_id) filter (
        where transaction_checks.drop_reason is null
    ) as n_baskets,
    count(distinct transaction_checks.week) filter (
        where transaction_checks.drop_reason is null
    ) as n_weeks,
    count(distinct transaction_checks.week) filter (
        where transaction_checks.drop_reason is null
            and transaction_checks.week > cutoffs.cutoff_week - {{ var('recent_weeks') }}
    ) as n_recent_weeks,
    max(transaction_checks.week) filter (
        where transaction_checks.drop_reason is null
    ) as last_week
from cutoffs
inner join transaction_checks
    on transaction_checks.week <= cutoffs.cutoff_week
where transaction_checks.quantity > 0
group by cutoffs.cutoff_week, transaction_checks.user_id, transaction_checks.item_id
