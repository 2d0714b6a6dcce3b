-- One row per cutoff and customer: the share of the customer's lines bought with a store discount.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

week_bands as (

    select * from {{ ref('int_week_bands') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

),

-- the customer's lines per band of weeks (int_week_bands), rolled up to each cutoff below
band_lines as (

    select
        week_bands.band_week,
        transactions.user_id,
        count(*) as n_lines,
        count(*) filter (where transactions.retail_disc > 0) as n_discounted_lines
    from transactions
    inner join week_bands
        on transactions.week = week_bands.week
    group by week_bands.band_week, transactions.user_id

),

cutoff_lines as (

    select
        cutoffs.cutoff_week,
        band_lines.user_id,
        cast(sum(band_lines.n_lines) as bigint) as n_lines,
        cast(sum(band_lines.n_discounted_lines) as bigint) as n_discounted_lines
    from cutoffs
    inner join band_lines
        on band_lines.band_week <= cutoffs.cutoff_week
    group by cutoffs.cutoff_week, band_lines.user_id

)

select
    cutoff_lines.cutoff_week,
    cutoff_lines.user_id,
    cutoff_lines.n_lines,
    cutoff_lines.n_discounted_lines,
    cutoff_lines.n_discounted_lines / cutoff_lines.n_lines as promo_affinity
from cutoff_lines
