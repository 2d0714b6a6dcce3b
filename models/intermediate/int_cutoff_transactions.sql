-- The clean lines each cutoff may see: one row per cutoff and line with week <= cutoff_week.
-- A view, so that every feature model filters the same way and nothing after a cutoff leaks in.
{{ config(materialized='view') }}

with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

)

select
    cutoffs.cutoff_week,
    transactions.*,
    -- the shelf price: what the line would have cost without the store's and the matched coupon discounts
    (transactions.sales_value + transactions.retail_disc + transactions.coupon_match_disc)
        / transactions.quantity as shelf_unit_price
from cutoffs
inner join transactions
    on transactions.week <= cutoffs.cutoff_week
