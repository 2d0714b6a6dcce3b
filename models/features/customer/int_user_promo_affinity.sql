-- One row per cutoff and customer: the share of the customer's lines bought with a store discount.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

cutoff_transactions as (

    select * from {{ ref('int_cutoff_transactions') }}

),

-- the customer's lines per band of weeks (int_week_bands), rolled up to each cutoff below
band_lines as (

    select
        cutoff_transactions.band_week,
        cutoff_transactions.user_id,
        count(*) as n_lines,
        count(*) filter (where cutoff_transactions.retail_disc > 0) as n_discounted_lines
    from cutoff_transactions
    group by cutoff_transactions.band_week, cutoff_transactions.user_id

),

cutoff_lines as (

    select
        cutoffs.cutoff_week,
        band_lines.user_id,
        cast(sum(band_lines.n_lines) as bigint) as n_lines,
        cast(sum(band_lines.n_discounted_lines) as bigint) as n_discounted_lines
    from cutoffs
    inner join band_lines
        on {{ seen_by_cutoff('band_lines', 'cutoffs') }}
    group by cutoffs.cutoff_week, band_lines.user_id

)

select
    cutoff_lines.cutoff_week,
    cutoff_lines.user_id,
    cutoff_lines.n_lines,
    cutoff_lines.n_discounted_lines,
    cutoff_lines.n_discounted_lines / cutoff_lines.n_lines as promo_affinity
from cutoff_lines
