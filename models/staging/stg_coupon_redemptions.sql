-- One row per coupon a household redeemed.
with raw_coupon_redemptions as (

    select * from {{ source('raw', 'coupon_redemptions') }}

)

select
    raw_coupon_redemptions.campaign_id,
    raw_coupon_redemptions.household_id as user_id,
    raw_coupon_redemptions.coupon_upc,
    raw_coupon_redemptions.redemption_date
from raw_coupon_redemptions
