-- One row per cutoff, recipient and candidate (int_ranker_candidates): the features the ranker
-- learns from that depend on the customer, every one computed from weeks <= the cutoff (the view
-- int_ranker_features adds those of the item alone, int_ranker_item_features). Two groups:
-- * the customer and the item: how often and how lately they bought it (plain, per week, decayed
--   by recency), where they are in their own repurchase cycle, how they buy it on promotion, ALS's
--   view of it for this customer, its price against the customer's usual one;
-- * the customer: promo affinity, how much they spend in the item's department and buy of its
--   product type, how often they shop.
-- The customer's aggregates are small tables of their own (int_ranker_customer_features,
-- int_user_department_spend, int_user_type_history): this query reads int_user_item_history once,
-- a join per candidate, where aggregating it here held every aggregate and join at once (at 40x
-- that spilled more than 30 GB). Built a batch of customers at a time (macros/customer_batches.sql).
{{ config(pre_hook=build_sides_as_written(), post_hook=["{{ insert_customer_batches() }}", reset_build_sides()]) }}

with candidates as (

    select * from {{ ref('int_ranker_candidates') }}
    where {{ in_customer_batch('user_id') }}

),

customer_features as (

    select * from {{ ref('int_ranker_customer_features') }}
    where {{ in_customer_batch('user_id') }}

),

catalog as (

    select * from {{ ref('int_item_catalog') }}

),

user_item_history as (

    select * from {{ ref('int_user_item_history') }}
    where {{ in_customer_batch('user_id') }}

),

als_candidates as (

    select * from {{ ref('als_candidates') }}
    where {{ in_customer_batch('user_id') }}

),

user_department_spend as (

    select * from {{ ref('int_user_department_spend') }}
    where {{ in_customer_batch('user_id') }}

),

user_type_history as (

    select * from {{ ref('int_user_type_history') }}
    where {{ in_customer_batch('user_id') }}

),

-- the history of recommendable items only: every candidate is one (int_ranker_candidates), and
-- the join's hash table holds about half the history's rows
catalog_history as (

    select user_item_history.*
    from user_item_history
    semi join catalog
        on user_item_history.cutoff_week = catalog.cutoff_week
        and user_item_history.item_id = catalog.item_id

)

select
    candidates.cutoff_week,
    candidates.user_id,
    candidates.item_id,
    candidates.from_own,
    candidates.from_als,
    candidates.from_popular,
    candidates.from_promo,
    candidates.from_type_alternative,
    candidates.from_upsell,
    -- the customer and the item
    catalog_history.item_id is not null as ever_bought,
    coalesce(catalog_history.n_lines, 0) as own_lines,
    coalesce(catalog_history.n_weeks, 0) as own_weeks,
    coalesce(catalog_history.n_weeks, 0) / customer_features.weeks_as_customer as own_week_share,
    coalesce(catalog_history.n_recent_weeks, 0) / {{ var('recent_weeks') }} as recent_week_share,
    coalesce(cast(catalog_history.decayed_weeks as double), 0) as decayed_weeks,
    candidates.cutoff_week - catalog_history.last_week as weeks_since_last_purchase,
    -- the customer's own mean interval between purchase weeks of the item
    (catalog_history.last_week - catalog_history.first_week)
    / nullif(catalog_history.n_weeks - 1, 0) as mean_interval_weeks,
    (candidates.cutoff_week - catalog_history.last_week)
    / nullif(
        (catalog_history.last_week - catalog_history.first_week)
        / nullif(catalog_history.n_weeks - 1, 0), 0
    ) as interval_ratio,
    catalog_history.n_discounted_lines / nullif(catalog_history.n_lines, 0) as own_discount_share,
    -- how the customer responds to this item's promotions: the weeks they bought it while it was
    -- on display or in the mailer
    coalesce(catalog_history.n_promo_weeks, 0) / nullif(catalog_history.n_weeks, 0)
        as own_promo_week_share,
    als_candidates.als_score,
    als_candidates.als_rank,
    -- the customer
    customer_features.promo_affinity,
    catalog.price / customer_features.median_price as price_to_own_median,
    catalog.price >= customer_features.upsell_threshold as is_upsell_price,
    coalesce(cast(user_department_spend.department_spend_share as double), 0) as department_spend_share,
    coalesce(user_type_history.n_lines, 0) / nullif(customer_features.n_lines, 0) as type_line_share,
    candidates.cutoff_week - user_type_history.last_week as weeks_since_type_purchase,
    customer_features.baskets_per_week,
    customer_features.weeks_since_last_visit
from candidates
inner join customer_features
    on candidates.cutoff_week = customer_features.cutoff_week
    and candidates.user_id = customer_features.user_id
inner join catalog
    on candidates.cutoff_week = catalog.cutoff_week
    and candidates.item_id = catalog.item_id
left join catalog_history
    on candidates.cutoff_week = catalog_history.cutoff_week
    and candidates.user_id = catalog_history.user_id
    and candidates.item_id = catalog_history.item_id
left join als_candidates
    on candidates.cutoff_week = als_candidates.cutoff_week
    and candidates.user_id = als_candidates.user_id
    and candidates.item_id = als_candidates.item_id
left join user_department_spend
    on candidates.cutoff_week = user_department_spend.cutoff_week
    and candidates.user_id = user_department_spend.user_id
    and catalog.department = user_department_spend.department
left join user_type_history
    on candidates.cutoff_week = user_type_history.cutoff_week
    and candidates.user_id = user_type_history.user_id
    and catalog.type_id = user_type_history.type_id
