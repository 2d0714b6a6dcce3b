-- One row per cutoff and item sold up to the cutoff: how many customers bought it, and its rank.
-- Popularity is the number of distinct buyers, not the quantity the course used: quantity is
-- inflated by goods sold by weight or volume, and one heavy buyer should not make an item popular.
with user_item_history as (

    select * from {{ ref('int_user_item_history') }}

),

item_sales as (

    select
        user_item_history.cutoff_week,
        user_item_history.item_id,
        count(*) as n_buyers,
        sum(user_item_history.n_lines) as n_lines,
        sum(user_item_history.quantity) as quantity,
        sum(user_item_history.sales_value) as sales_value
    from user_item_history
    where user_item_history.n_lines > 0
    group by user_item_history.cutoff_week, user_item_history.item_id

),

ranked as (

    select
        item_sales.*,
        row_number() over (
            partition by item_sales.cutoff_week
            order by item_sales.n_buyers desc, item_sales.n_lines desc, item_sales.item_id asc
        ) as popularity_rank
    from item_sales

)

select
    ranked.*,
    ranked.popularity_rank <= {{ var('top_n_items') }} as is_top_n
from ranked
