-- One row per cutoff and recommendable item (top_n_items): what the candidates, the ranker and
-- the slots need to know of it, in one small table that the large candidate tables join once.
-- Besides price, popularity and the send week's promotion: how the item sells on promotion
-- (its share of lines with a store discount and their mean depth, last price_window_weeks) and
-- whether it is rising (buyers in the last 4 weeks against the 4 before).
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

cutoff_transactions as (

    select * from {{ ref('int_cutoff_transactions') }}

),

recipients as (

    select * from {{ ref('int_recipients') }}

),

item_popularity as (

    select * from {{ ref('int_item_popularity') }}

),

item_price as (

    select * from {{ ref('int_item_price') }}

),

promo_items as (

    select * from {{ ref('int_promo_items') }}

),

products as (

    select * from {{ ref('stg_products') }}

),

customers_per_cutoff as (

    select
        recipients.cutoff_week,
        count(*) as n_customers
    from recipients
    group by recipients.cutoff_week

),

recent_sales as (

    select
        cutoffs.cutoff_week,
        cutoff_transactions.item_id,
        count(*) filter (where cutoff_transactions.retail_disc > 0) / count(*) as discount_line_share,
        -- decimal terms: an exact mean, whatever order the threads add in
        coalesce(avg(cast(
            cutoff_transactions.retail_disc
            / nullif(cutoff_transactions.sales_value + cutoff_transactions.retail_disc, 0) as decimal(18, 6)
        ))
        filter (where cutoff_transactions.retail_disc > 0), 0) as discount_depth,
        count(distinct cutoff_transactions.user_id) filter (
            where cutoff_transactions.week > cutoffs.cutoff_week - 4
        ) as n_buyers_last_4_weeks,
        count(distinct cutoff_transactions.user_id) filter (
            where cutoff_transactions.week > cutoffs.cutoff_week - 8
            and cutoff_transactions.week <= cutoffs.cutoff_week - 4
        ) as n_buyers_previous_4_weeks
    from cutoffs
    inner join cutoff_transactions
        on {{ seen_by_cutoff('cutoff_transactions', 'cutoffs') }}
        and cutoff_transactions.week > cutoffs.cutoff_week - {{ var('price_window_weeks') }}
    group by cutoffs.cutoff_week, cutoff_transactions.item_id

),

catalog as (

    select
        item_popularity.cutoff_week,
        item_popularity.item_id,
        item_popularity.popularity_rank,
        item_popularity.n_buyers / customers_per_cutoff.n_customers as buyer_share,
        item_price.price,
        products.department,
        products.product_type,
        -- a number per product type, cheaper to group by than its text, numbered within the
        -- cutoff so that later data cannot renumber it; an item without a type is its own type
        case
            when products.product_type is null then -item_popularity.item_id
            else dense_rank() over (
                    partition by item_popularity.cutoff_week order by products.product_type nulls last
                )
        end as type_id,
        promo_items.item_id is not null as is_promo,
        coalesce(promo_items.display_stores, 0) as display_stores,
        coalesce(promo_items.mailer_stores, 0) as mailer_stores,
        coalesce(recent_sales.discount_line_share, 0) as discount_line_share,
        coalesce(recent_sales.discount_depth, 0) as discount_depth,
        (coalesce(recent_sales.n_buyers_last_4_weeks, 0) + 1)
        / (coalesce(recent_sales.n_buyers_previous_4_weeks, 0) + 1) as buyer_trend
    from item_popularity
    inner join customers_per_cutoff
        on item_popularity.cutoff_week = customers_per_cutoff.cutoff_week
    inner join item_price
        on item_popularity.cutoff_week = item_price.cutoff_week
        and item_popularity.item_id = item_price.item_id
    inner join products
        on item_popularity.item_id = products.item_id
    left join promo_items
        on item_popularity.cutoff_week = promo_items.cutoff_week
        and item_popularity.item_id = promo_items.item_id
    left join recent_sales
        on item_popularity.cutoff_week = recent_sales.cutoff_week
        and item_popularity.item_id = recent_sales.item_id
    where item_popularity.is_top_n

)

select
    catalog.*,
    catalog.price / median(catalog.price) over (
        partition by catalog.cutoff_week, catalog.type_id
    ) as price_to_type_median
from catalog
