-- The send list: one row per customer and item of the production cutoff's e-mail, with the
-- product's description so that the e-mail renders without another join.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

email_picks as (

    select * from {{ ref('int_email_picks') }}

),

promo_calendar as (

    select * from {{ ref('int_promo_calendar') }}

),

products as (

    select * from {{ ref('stg_products') }}

)

select
    cutoffs.send_week,
    email_picks.user_id,
    email_picks.position,
    email_picks.item_id,
    email_picks.slot,
    email_picks.score,
    email_picks.price,
    email_picks.expected_revenue,
    email_picks.reason,
    products.department,
    products.category,
    products.product_type,
    products.brand,
    products.package_size,
    promo_calendar.promo_week,
    promo_calendar.promo_source
from email_picks
inner join cutoffs
    on email_picks.cutoff_week = cutoffs.cutoff_week
inner join products
    on email_picks.item_id = products.item_id
inner join promo_calendar
    on email_picks.cutoff_week = promo_calendar.cutoff_week
where cutoffs.cutoff_kind = 'production'
