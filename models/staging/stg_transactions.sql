-- The clean purchase lines: one row per distinct line that passes every rule of
-- stg_transaction_checks. Exact duplicate lines collapse into one here.
{{ config(materialized='table') }}

with transaction_checks as (

    select * from {{ ref('stg_transaction_checks') }}

)

select distinct
    transaction_checks.user_id,
    transaction_checks.basket_id,
    transaction_checks.item_id,
    transaction_checks.store_id,
    transaction_checks.week,
    transaction_checks.day,
    transaction_checks.trans_time,
    transaction_checks.quantity,
    transaction_checks.sales_value,
    transaction_checks.retail_disc,
    transaction_checks.coupon_disc,
    transaction_checks.coupon_match_disc,
    -- the shelf price: what a unit cost before the store's and the matched coupon discounts
    (transaction_checks.sales_value + transaction_checks.retail_disc + transaction_checks.coupon_match_disc)
    / transaction_checks.quantity as shelf_unit_price
from transaction_checks
where transaction_checks.drop_reason is null
