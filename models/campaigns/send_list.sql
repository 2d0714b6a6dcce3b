-- The send list: one row per send of the production cutoff, customer and item, with the product's
-- description and a display text that fits the channel, so that each sending system renders its
-- message without another join. The backtest's sends stay in int_send_picks.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

send_picks as (

    select * from {{ ref('int_send_picks') }}

),

sends as (

    select * from {{ ref('int_sends') }}

),

channels as (

    select * from {{ ref('channels') }}

),

promo_calendar as (

    select * from {{ ref('int_promo_calendar') }}

),

products as (

    select * from {{ ref('stg_products') }}

),

production_picks as (

    select send_picks.*
    from send_picks
    inner join cutoffs
        on send_picks.cutoff_week = cutoffs.cutoff_week
    where cutoffs.cutoff_kind = 'production'

),

-- the product in words and its price; the words are cut so that the price always shows
display_parts as (

    select
        production_picks.cutoff_week,
        production_picks.send_id,
        production_picks.user_id,
        production_picks.item_id,
        coalesce(products.product_type, 'ITEM ' || products.item_id)
        || coalesce(' ' || products.package_size, '') as display_name,
        ' ' || printf('$%.2f', production_picks.price) as display_price,
        channels.max_text_length
    from production_picks
    inner join products
        on production_picks.item_id = products.item_id
    inner join channels
        on production_picks.channel = channels.channel

)

select
    production_picks.send_id,
    production_picks.channel,
    sends.send_week,
    sends.send_date,
    sends.send_time,
    production_picks.user_id,
    production_picks.position,
    production_picks.item_id,
    production_picks.slot,
    production_picks.score,
    production_picks.price,
    production_picks.expected_revenue,
    production_picks.reason,
    rtrim(left(display_parts.display_name, display_parts.max_text_length - length(display_parts.display_price)))
    || display_parts.display_price as display_text,
    production_picks.weekday_lift,
    products.department,
    products.category,
    products.product_type,
    products.brand,
    products.package_size,
    promo_calendar.promo_week,
    promo_calendar.promo_source
from production_picks
inner join sends
    on production_picks.cutoff_week = sends.cutoff_week
    and production_picks.send_id = sends.send_id
inner join display_parts
    on production_picks.cutoff_week = display_parts.cutoff_week
    and production_picks.send_id = display_parts.send_id
    and production_picks.user_id = display_parts.user_id
    and production_picks.item_id = display_parts.item_id
inner join products
    on production_picks.item_id = products.item_id
inner join promo_calendar
    on production_picks.cutoff_week = promo_calendar.cutoff_week
