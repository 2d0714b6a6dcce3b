-- One row per customer, item and week with a line of quantity > 0 (any price, any department):
-- the weekly grain that every per-cutoff history, popularity and interaction model sums up, so
-- that the transaction lines are grouped once, not once per cutoff. Weeks are kept apart, so a
-- cutoff takes exactly its own past.
with transaction_checks as (

    select * from {{ ref('stg_transaction_checks') }}

),

clean_lines as (

    select
        transaction_checks.*,
        transaction_checks.drop_reason is null as is_clean,
        -- the store's discount as a share of the shelf price, for the interaction weight
        least(greatest(transaction_checks.retail_disc
            / nullif(transaction_checks.sales_value + transaction_checks.retail_disc, 0), 0), 1) as discount_share
    from transaction_checks
    where transaction_checks.quantity > 0

)

select
    clean_lines.user_id,
    clean_lines.item_id,
    clean_lines.week,
    count(distinct clean_lines.basket_id) filter (where clean_lines.is_clean) as n_baskets,
    coalesce(sum(clean_lines.quantity) filter (where clean_lines.is_clean), 0) as quantity,
    coalesce(sum(clean_lines.sales_value) filter (where clean_lines.is_clean), 0) as sales_value,
    -- every clean line counts 1, less discount_weight x its discount share (int_interactions)
    coalesce(sum(1 - {{ var('discount_weight') }} * coalesce(clean_lines.discount_share, 0))
        filter (where clean_lines.is_clean), 0) as interaction_weight
from clean_lines
group by clean_lines.user_id, clean_lines.item_id, clean_lines.week
