-- One row per backtest cutoff, evaluated customer and distinct item the customer bought in the
-- test window (the horizon_weeks after the cutoff), after the same cleaning. Evaluated customers
-- bought both up to the cutoff (so every strategy had a list for them) and in the window.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

recipients as (

    select * from {{ ref('int_recipients') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

),

item_price as (

    select * from {{ ref('int_item_price') }}

),

window_purchases as (

    select
        cutoffs.cutoff_week,
        transactions.user_id,
        transactions.item_id,
        -- for items first sold in the window, the shelf price they sold at there
        median(transactions.shelf_unit_price) as window_price
    from cutoffs
    inner join transactions
        on transactions.week > cutoffs.cutoff_week
        and transactions.week <= cutoffs.test_last_week
    where cutoffs.cutoff_kind = 'backtest'
    group by cutoffs.cutoff_week, transactions.user_id, transactions.item_id

)

select
    window_purchases.cutoff_week,
    window_purchases.user_id,
    window_purchases.item_id,
    coalesce(item_price.price, window_purchases.window_price) as price
from window_purchases
inner join recipients
    on window_purchases.cutoff_week = recipients.cutoff_week
    and window_purchases.user_id = recipients.user_id
left join item_price
    on window_purchases.cutoff_week = item_price.cutoff_week
    and window_purchases.item_id = item_price.item_id
