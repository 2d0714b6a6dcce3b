-- One row per campaign and product its coupons apply to.
with raw_coupons as (

    select * from {{ source('raw', 'coupons') }}

)

select distinct
    raw_coupons.campaign_id,
    raw_coupons.product_id as item_id
from raw_coupons
