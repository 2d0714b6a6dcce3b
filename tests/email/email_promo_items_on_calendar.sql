-- Every promo item of an e-mail or a send (macros/slot_lists.sql) is on promotion in the week that
-- stands for the send week: on the promotion calendar of that week, or, without a calendar, sold
-- with a store discount in that week.
with email as (

    select * from ({{ slot_lists() }}) as lists
    where lists.slot = 'promo'

),

promo_calendar as (

    select * from {{ ref('int_promo_calendar') }}

),

promotions as (

    select * from {{ ref('stg_promotions') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

),

evidence as (

    select
        email.cutoff_week,
        email.list_id,
        email.user_id,
        email.item_id,
        promo_calendar.promo_source,
        exists(
            select 1 from promotions
            where promotions.item_id = email.item_id and promotions.week = promo_calendar.promo_week
        ) as on_calendar,
        exists(
            select 1 from transactions
            where transactions.item_id = email.item_id and transactions.week = promo_calendar.promo_week
                and transactions.retail_disc > 0
        ) as sold_on_discount
    from email
    inner join promo_calendar
        on email.cutoff_week = promo_calendar.cutoff_week

)

select * from evidence
where (evidence.promo_source <> 'retail_discount' and not evidence.on_calendar)
    or (evidence.promo_source = 'retail_discount' and not evidence.sold_on_discount)
