-- One row per cutoff and customer who gets an e-mail. At the production cutoff: every customer
-- with a purchase in the last active_weeks. At a backtest (or training) cutoff: every customer
-- with any purchase up to the cutoff, so that every strategy is scored on the same customers.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

cutoff_transactions as (

    select * from {{ ref('int_cutoff_transactions') }}

)

select
    cutoff_transactions.cutoff_week,
    cutoff_transactions.user_id,
    min(cutoff_transactions.week) as first_purchase_week,
    max(cutoff_transactions.week) as last_purchase_week
from cutoff_transactions
inner join cutoffs
    on cutoff_transactions.cutoff_week = cutoffs.cutoff_week
group by cutoff_transactions.cutoff_week, cutoff_transactions.user_id, cutoffs.cutoff_kind
having cutoffs.cutoff_kind <> 'production'
    or max(cutoff_transactions.week) > min(cutoffs.cutoff_week) - {{ var('active_weeks') }}
