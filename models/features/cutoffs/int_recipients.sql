-- One row per cutoff and customer who gets an e-mail. At the production cutoff: every customer
-- with a purchase in the last active_weeks. At a backtest (or training) cutoff: every customer
-- with any purchase up to the cutoff, so that every strategy is scored on the same customers.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

cutoff_transactions as (

    select * from {{ ref('int_cutoff_transactions') }}

),

-- the customer's first and last week in each band of weeks (int_week_bands), rolled up below
band_customers as (

    select
        cutoff_transactions.band_week,
        cutoff_transactions.user_id,
        min(cutoff_transactions.week) as first_purchase_week,
        max(cutoff_transactions.week) as last_purchase_week
    from cutoff_transactions
    group by cutoff_transactions.band_week, cutoff_transactions.user_id

)

select
    cutoffs.cutoff_week,
    band_customers.user_id,
    min(band_customers.first_purchase_week) as first_purchase_week,
    max(band_customers.last_purchase_week) as last_purchase_week
from cutoffs
inner join band_customers
    on {{ seen_by_cutoff('band_customers', 'cutoffs') }}
group by cutoffs.cutoff_week, band_customers.user_id, cutoffs.cutoff_kind
having cutoffs.cutoff_kind <> 'production'
    or max(band_customers.last_purchase_week) > min(cutoffs.cutoff_week) - {{ var('active_weeks') }}
