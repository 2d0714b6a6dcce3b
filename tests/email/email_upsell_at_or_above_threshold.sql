-- In every e-mail and every send (macros/slot_lists.sql), the upsell item costs at least the
-- customer's upsell threshold, the threshold is never below the customer's median price, and the
-- upsell item is not a promo item.
with email as (

    select * from ({{ slot_lists() }}) as lists
    where lists.slot = 'upsell'

),

user_price_profile as (

    select * from {{ ref('int_user_price_profile') }}

),

promo_items as (

    select * from {{ ref('int_promo_items') }}

)

select
    email.cutoff_week,
    email.list_id,
    email.user_id,
    email.item_id,
    email.price,
    user_price_profile.upsell_threshold,
    user_price_profile.median_price
from email
left join user_price_profile
    on email.cutoff_week = user_price_profile.cutoff_week
    and email.user_id = user_price_profile.user_id
left join promo_items
    on email.cutoff_week = promo_items.cutoff_week
    and email.item_id = promo_items.item_id
where user_price_profile.user_id is null
    or email.price < user_price_profile.upsell_threshold
    or user_price_profile.upsell_threshold < user_price_profile.median_price
    or promo_items.item_id is not null
