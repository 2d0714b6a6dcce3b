-- One row per cutoff and item on promotion in its send week, by the source int_promo_calendar chose.
with promo_calendar as (

    select * from {{ ref('int_promo_calendar') }}

),

promotions as (

    select * from {{ ref('stg_promotions') }}

),

cutoff_transactions as (

    select * from {{ ref('int_cutoff_transactions') }}

),

calendar_items as (

    select
        promo_calendar.cutoff_week,
        promotions.item_id,
        promotions.promo_stores,
        promotions.display_stores,
        promotions.mailer_stores
    from promo_calendar
    inner join promotions
        on promotions.week = promo_calendar.promo_week
    where promo_calendar.promo_source <> 'retail_discount'

),

discounted_items as (

    select
        promo_calendar.cutoff_week,
        cutoff_transactions.item_id,
        count(distinct cutoff_transactions.store_id) as promo_stores,
        -- the store discount says nothing about displays or mailers
        cast(null as bigint) as display_stores,
        cast(null as bigint) as mailer_stores
    from promo_calendar
    inner join cutoff_transactions
        on {{ seen_by_cutoff('cutoff_transactions', 'promo_calendar') }}
        and cutoff_transactions.week = promo_calendar.promo_week
    where promo_calendar.promo_source = 'retail_discount'
        and cutoff_transactions.retail_disc > 0
    group by promo_calendar.cutoff_week, cutoff_transactions.item_id

),

promo_items as (

    select * from calendar_items
    union all
    select * from discounted_items

)

select
    promo_items.cutoff_week,
    promo_items.item_id,
    promo_calendar.promo_week,
    promo_calendar.promo_source,
    promo_items.promo_stores,
    promo_items.display_stores,
    promo_items.mailer_stores
from promo_items
inner join promo_calendar
    on promo_items.cutoff_week = promo_calendar.cutoff_week
