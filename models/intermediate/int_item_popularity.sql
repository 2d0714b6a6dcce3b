-- One row per cutoff and item sold up to the cutoff: how many customers bought it, and its rank.
-- Popularity is the number of distinct buyers, not the quantity the course used: quantity is
-- inflated by goods sold by weight or volume, and one heavy buyer should not make an item popular.
with cutoff_transactions as (

    select * from {{ ref('int_cutoff_transactions') }}

),

item_sales as (

    select
        cutoff_transactions.cutoff_week,
        cutoff_transactions.item_id,
        count(distinct cutoff_transactions.user_id) as n_buyers,
        count(distinct cutoff_transactions.basket_id) as n_baskets,
        sum(cutoff_transactions.quantity) as quantity,
        sum(cutoff_transactions.sales_value) as sales_value
    from cutoff_transactions
    group by cutoff_transactions.cutoff_week, cutoff_transactions.item_id

),

ranked as (

    select
        item_sales.*,
        row_number() over (
            partition by item_sales.cutoff_week
            order by item_sales.n_buyers desc, item_sales.n_baskets desc, item_sales.item_id
        ) as popularity_rank
    from item_sales

)

select
    ranked.*,
    ranked.popularity_rank <= {{ var('top_n_items') }} as is_top_n
from ranked
