-- One row per cutoff and item sold up to the cutoff: its price, the median shelf unit price
-- (sales value plus the store's and matched-coupon discounts, per unit) of its lines in the last
-- price_window_weeks, or of all its lines when it did not sell in that window. The shelf price,
-- not the price paid, because upsell and money precision are about the item, not the deal.
with cutoff_transactions as (

    select * from {{ ref('int_cutoff_transactions') }}

),

item_prices as (

    select
        cutoff_transactions.cutoff_week,
        cutoff_transactions.item_id,
        median(cutoff_transactions.shelf_unit_price) filter (
            where cutoff_transactions.week > cutoff_transactions.cutoff_week - {{ var('price_window_weeks') }}
        ) as recent_price,
        median(cutoff_transactions.shelf_unit_price) as all_time_price,
        max(cutoff_transactions.week) as last_sold_week
    from cutoff_transactions
    group by cutoff_transactions.cutoff_week, cutoff_transactions.item_id

)

select
    item_prices.cutoff_week,
    item_prices.item_id,
    coalesce(item_prices.recent_price, item_prices.all_time_price) as price,
    item_prices.recent_price is not null as is_recent_price,
    item_prices.last_sold_week
from item_prices
