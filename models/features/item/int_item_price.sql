-- One row per cutoff and item sold up to the cutoff: its price, the median shelf unit price
-- (sales value plus the store's and matched-coupon discounts, per unit) of its lines in the last
-- price_window_weeks, or of all its lines when it did not sell in that window. The shelf price,
-- not the price paid, because upsell and money precision are about the item, not the deal.
--
-- The median is read off a count of lines per distinct price (the macro quantile_from_counts, as
-- in int_user_price_profile): the lowest price at or below which at least half of the lines lie.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

cutoff_transactions as (

    select * from {{ ref('int_cutoff_transactions') }}

),

-- lines per item, week and price: as many rows as the catalogue has prices and weeks, however
-- many customers, so the join to the cutoffs below copies few rows
item_week_prices as (

    select
        cutoff_transactions.item_id,
        cutoff_transactions.week,
        cutoff_transactions.band_week,
        cutoff_transactions.shelf_unit_price as price,
        count(*) as n_lines
    from cutoff_transactions
    group by all

),

price_counts as (

    select
        cutoffs.cutoff_week,
        item_week_prices.item_id,
        item_week_prices.price,
        cast(sum(item_week_prices.n_lines) as bigint) as n_lines,
        cast(coalesce(sum(item_week_prices.n_lines) filter (
            where item_week_prices.week > cutoffs.cutoff_week - {{ var('price_window_weeks') }}
        ), 0) as bigint) as n_recent_lines,
        max(item_week_prices.week) as last_sold_week
    from cutoffs
    inner join item_week_prices
        on {{ seen_by_cutoff('item_week_prices', 'cutoffs') }}
    group by all

),

cumulative_counts as (

    select
        price_counts.*,
        sum(price_counts.n_lines) over item_prices_ascending as lines_up_to_price,
        sum(price_counts.n_lines) over item as total_lines,
        sum(price_counts.n_recent_lines) over item_prices_ascending as recent_lines_up_to_price,
        sum(price_counts.n_recent_lines) over item as total_recent_lines
    from price_counts
    window
        item as (partition by price_counts.cutoff_week, price_counts.item_id),
        item_prices_ascending as (
            partition by price_counts.cutoff_week, price_counts.item_id
            order by price_counts.price
            rows between unbounded preceding and current row
        )

),

item_prices as (

    select
        cumulative_counts.cutoff_week,
        cumulative_counts.item_id,
        {{ quantile_from_counts('cumulative_counts.price', 'cumulative_counts.recent_lines_up_to_price',
            'cumulative_counts.total_recent_lines', 0.5) }} as recent_price,
        {{ quantile_from_counts('cumulative_counts.price', 'cumulative_counts.lines_up_to_price',
            'cumulative_counts.total_lines', 0.5) }} as all_time_price,
        max(cumulative_counts.last_sold_week) as last_sold_week
    from cumulative_counts
    group by cumulative_counts.cutoff_week, cumulative_counts.item_id

)

select
    item_prices.cutoff_week,
    item_prices.item_id,
    coalesce(item_prices.recent_price, item_prices.all_time_price) as price,
    item_prices.recent_price is not null as is_recent_price,
    item_prices.last_sold_week
from item_prices
