-- One row per cutoff, recipient and candidate item, with everything the slots need: the
-- propensity score, the price, the promo flag, the product type and whether the customer ever
-- bought the item. Candidates are the customer's ALS candidates and their own_candidates most
-- bought items (most recent weeks first), plus fallbacks for thin histories: the most popular
-- items, the most popular promo items, and the most popular items at or above the customer's
-- upsell threshold that are not on promotion. "Ever bought" is checked against the whole history.
-- Only items in the top_n_items are ever candidates (the rest share the ALS placeholder).
--
-- score, a purchase propensity in [0, 1]: 0.45 x the share of the customer's weeks in which they
-- bought the item + 0.4 x the same share over the last recent_weeks + 0.1 x the ALS score (clipped
-- to [0, 1]) + 0.05 x the share of all customers who bought it. Own repurchases, recent ones most,
-- are the strongest signal in grocery; ALS carries it to items the customer has not bought, and
-- popularity ranks the fallbacks. The weights were chosen on the backtest fold (README).
with recipients as (

    select * from {{ ref('int_recipients') }}

),

als_candidates as (

    select * from {{ ref('als_candidates') }}

),

user_item_history as (

    select * from {{ ref('int_user_item_history') }}

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

user_price_profile as (

    select * from {{ ref('int_user_price_profile') }}

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

-- what the slots need to know of every recommendable item, in one small table, so that the
-- large candidate table joins it once
catalog as (

    select
        item_popularity.cutoff_week,
        item_popularity.item_id,
        item_popularity.popularity_rank,
        item_popularity.n_buyers / customers_per_cutoff.n_customers as buyer_share,
        item_price.price,
        products.product_type,
        -- a number per product type, cheaper to group by than its text, numbered within the
        -- cutoff so that later data cannot renumber it; an item without a type is its own type
        case
            when products.product_type is null then -item_popularity.item_id
            else dense_rank() over (
                partition by item_popularity.cutoff_week order by products.product_type
            )
        end as type_id,
        promo_items.item_id is not null as is_promo
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
    where item_popularity.is_top_n

),

customers as (

    select
        recipients.cutoff_week,
        recipients.user_id,
        recipients.first_purchase_week,
        user_price_profile.upsell_threshold
    from recipients
    left join user_price_profile
        on recipients.cutoff_week = user_price_profile.cutoff_week
        and recipients.user_id = user_price_profile.user_id

),

popular_items as (

    select catalog.cutoff_week, catalog.item_id
    from catalog
    where catalog.popularity_rank <= {{ var('fallback_items') }}
    union
    select catalog.cutoff_week, catalog.item_id
    from catalog
    where catalog.is_promo
    qualify row_number() over (
        partition by catalog.cutoff_week
        order by catalog.popularity_rank
    ) <= {{ var('fallback_items') }}

),

upsell_fallback_items as (

    select customers.cutoff_week, customers.user_id, catalog.item_id
    from customers
    inner join catalog
        on customers.cutoff_week = catalog.cutoff_week
        and catalog.price >= customers.upsell_threshold
    where not catalog.is_promo
    qualify row_number() over (
        partition by customers.cutoff_week, customers.user_id
        order by catalog.popularity_rank
    ) <= 20

),

candidate_keys as (

    select als_candidates.cutoff_week, als_candidates.user_id, als_candidates.item_id
    from als_candidates
    union
    select user_item_history.cutoff_week, user_item_history.user_id, user_item_history.item_id
    from user_item_history
    where user_item_history.n_lines > 0
    qualify row_number() over (
        partition by user_item_history.cutoff_week, user_item_history.user_id
        order by user_item_history.n_recent_weeks desc, user_item_history.n_weeks desc,
            user_item_history.item_id
    ) <= {{ var('own_candidates') }}
    union
    select customers.cutoff_week, customers.user_id, popular_items.item_id
    from customers
    inner join popular_items
        on customers.cutoff_week = popular_items.cutoff_week
    union
    select * from upsell_fallback_items

),

scored as (

    select
        candidate_keys.cutoff_week,
        candidate_keys.user_id,
        candidate_keys.item_id,
        catalog.product_type,
        catalog.type_id,
        als_candidates.als_score,
        als_candidates.als_rank,
        coalesce(user_item_history.n_lines, 0) as own_lines,
        coalesce(user_item_history.n_weeks, 0)
            / (candidate_keys.cutoff_week - customers.first_purchase_week + 1) as own_week_share,
        coalesce(user_item_history.n_recent_weeks, 0) / {{ var('recent_weeks') }} as recent_week_share,
        user_item_history.item_id is not null as ever_bought,
        catalog.buyer_share,
        catalog.price,
        catalog.is_promo,
        customers.upsell_threshold
    from candidate_keys
    inner join customers
        on candidate_keys.cutoff_week = customers.cutoff_week
        and candidate_keys.user_id = customers.user_id
    inner join catalog
        on candidate_keys.cutoff_week = catalog.cutoff_week
        and candidate_keys.item_id = catalog.item_id
    left join als_candidates
        on candidate_keys.cutoff_week = als_candidates.cutoff_week
        and candidate_keys.user_id = als_candidates.user_id
        and candidate_keys.item_id = als_candidates.item_id
    left join user_item_history
        on candidate_keys.cutoff_week = user_item_history.cutoff_week
        and candidate_keys.user_id = user_item_history.user_id
        and candidate_keys.item_id = user_item_history.item_id

)

select
    scored.*,
    0.45 * scored.own_week_share
        + 0.4 * scored.recent_week_share
        + 0.1 * least(greatest(coalesce(scored.als_score, 0), 0), 1)
        + 0.05 * scored.buyer_share as score,
    scored.price >= scored.upsell_threshold as is_upsell_price
from scored
