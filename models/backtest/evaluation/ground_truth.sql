-- One row per backtest cutoff, evaluated customer and distinct item the customer bought in the
-- test window (the horizon_weeks after the cutoff), after the same cleaning. Evaluated customers
-- bought both up to the cutoff (so every strategy had a list for them) and in the window.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

recipients as (

    select * from {{ ref('int_recipients') }}

),

item_price as (

    select * from {{ ref('int_item_price') }}

),

window_purchases as (

    select window_purchases.*
    from {{ ref('int_window_purchases') }} as window_purchases
    inner join cutoffs
        on window_purchases.cutoff_week = cutoffs.cutoff_week
    where cutoffs.cutoff_kind = 'backtest'

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
