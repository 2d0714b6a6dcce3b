-- One row per cutoff and strategy: how much of the catalog the first five items reach, and how
-- often a customer's five items are all of different product types.
with recommendations as (

    select * from {{ ref('recommendations') }}

),

item_popularity as (

    select * from {{ ref('int_item_popularity') }}

),

products as (

    select * from {{ ref('stg_products') }}

),

first_five as (

    select
        recommendations.*,
        products.product_type
    from recommendations
    inner join products
        on recommendations.item_id = products.item_id
    where recommendations.position <= 5

),

per_customer as (

    select
        first_five.cutoff_week,
        first_five.strategy,
        first_five.user_id,
        count(*) = count(distinct coalesce(first_five.product_type, 'item ' || first_five.item_id)) as all_types_differ
    from first_five
    group by first_five.cutoff_week, first_five.strategy, first_five.user_id

),

catalog as (

    select
        item_popularity.cutoff_week,
        count(*) filter (where item_popularity.is_top_n) as n_catalog_items
    from item_popularity
    group by item_popularity.cutoff_week

),

items_reached as (

    select
        first_five.cutoff_week,
        first_five.strategy,
        count(distinct first_five.item_id) as n_items
    from first_five
    group by first_five.cutoff_week, first_five.strategy

)

select
    items_reached.cutoff_week,
    items_reached.strategy,
    count(*) as n_users,
    items_reached.n_items as n_distinct_items,
    items_reached.n_items / catalog.n_catalog_items as catalog_coverage,
    cast(avg(case when per_customer.all_types_differ then 1.0 else 0.0 end) as double) as share_all_types_differ
from per_customer
inner join items_reached
    on per_customer.cutoff_week = items_reached.cutoff_week
    and per_customer.strategy = items_reached.strategy
inner join catalog
    on per_customer.cutoff_week = catalog.cutoff_week
group by items_reached.cutoff_week, items_reached.strategy, items_reached.n_items, catalog.n_catalog_items
order by items_reached.cutoff_week, items_reached.strategy
