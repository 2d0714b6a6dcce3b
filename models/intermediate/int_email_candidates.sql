-- One row per cutoff, recipient and candidate item, with everything the slots need: the
-- propensity score, the price, the promo flag, the product type and whether the customer ever
-- bought the item. Candidates are the customer's ALS candidates and own purchases, plus the most
-- popular items and the most popular promo items as a fallback for thin histories.
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

popular_items as (

    select
        item_popularity.cutoff_week,
        item_popularity.item_id
    from item_popularity
    where item_popularity.popularity_rank <= {{ var('fallback_items') }}

),

popular_promo_items as (

    select
        item_popularity.cutoff_week,
        item_popularity.item_id
    from item_popularity
    inner join promo_items
        on item_popularity.cutoff_week = promo_items.cutoff_week
        and item_popularity.item_id = promo_items.item_id
    where item_popularity.is_top_n
    qualify row_number() over (
        partition by item_popularity.cutoff_week
        order by item_popularity.popularity_rank
    ) <= {{ var('fallback_items') }}

),

upsell_fallback_items as (

    select
        user_price_profile.cutoff_week,
        user_price_profile.user_id,
        item_popularity.item_id
    from user_price_profile
    inner join item_price
        on user_price_profile.cutoff_week = item_price.cutoff_week
        and item_price.price >= user_price_profile.upsell_threshold
    inner join item_popularity
        on item_price.cutoff_week = item_popularity.cutoff_week
        and item_price.item_id = item_popularity.item_id
    left join promo_items
        on item_price.cutoff_week = promo_items.cutoff_week
        and item_price.item_id = promo_items.item_id
    where item_popularity.is_top_n
        and promo_items.item_id is null
    qualify row_number() over (
        partition by user_price_profile.cutoff_week, user_price_profile.user_id
        order by item_popularity.popularity_rank
    ) <= 20

),

personal_items as (

    select als_candidates.cutoff_week, als_candidates.user_id, als_candidates.item_id
    from als_candidates
    union
    select user_item_history.cutoff_week, user_item_history.user_id, user_item_history.item_id
    from user_item_history
    where user_item_history.n_lines > 0
    union
    select * from upsell_fallback_items

),

candidate_pool as (

    select recipients.cutoff_week, recipients.user_id, personal_items.item_id
    from recipients
    inner join personal_items
        on recipients.cutoff_week = personal_items.cutoff_week
        and recipients.user_id = personal_items.user_id
    union
    select recipients.cutoff_week, recipients.user_id, fallback_items.item_id
    from recipients
    inner join (
        select * from popular_items
        union
        select * from popular_promo_items
    ) as fallback_items
        on recipients.cutoff_week = fallback_items.cutoff_week

),

scored as (

    select
        candidate_pool.cutoff_week,
        candidate_pool.user_id,
        candidate_pool.item_id,
        products.product_type,
        als_candidates.als_score,
        als_candidates.als_rank,
        coalesce(user_item_history.n_lines, 0) as own_lines,
        coalesce(user_item_history.n_weeks, 0)
            / (candidate_pool.cutoff_week - recipients.first_purchase_week + 1) as own_week_share,
        coalesce(user_item_history.n_recent_weeks, 0) / {{ var('recent_weeks') }} as recent_week_share,
        user_item_history.item_id is not null as ever_bought,
        item_popularity.n_buyers / customers_per_cutoff.n_customers as buyer_share,
        item_price.price,
        promo_items.item_id is not null as is_promo,
        user_price_profile.upsell_threshold
    from candidate_pool
    inner join recipients
        on candidate_pool.cutoff_week = recipients.cutoff_week
        and candidate_pool.user_id = recipients.user_id
    inner join item_popularity
        on candidate_pool.cutoff_week = item_popularity.cutoff_week
        and candidate_pool.item_id = item_popularity.item_id
    inner join item_price
        on candidate_pool.cutoff_week = item_price.cutoff_week
        and candidate_pool.item_id = item_price.item_id
    inner join customers_per_cutoff
        on candidate_pool.cutoff_week = customers_per_cutoff.cutoff_week
    inner join products
        on candidate_pool.item_id = products.item_id
    left join als_candidates
        on candidate_pool.cutoff_week = als_candidates.cutoff_week
        and candidate_pool.user_id = als_candidates.user_id
        and candidate_pool.item_id = als_candidates.item_id
    left join user_item_history
        on candidate_pool.cutoff_week = user_item_history.cutoff_week
        and candidate_pool.user_id = user_item_history.user_id
        and candidate_pool.item_id = user_item_history.item_id
    left join promo_items
        on candidate_pool.cutoff_week = promo_items.cutoff_week
        and candidate_pool.item_id = promo_items.item_id
    left join user_price_profile
        on candidate_pool.cutoff_week = user_price_profile.cutoff_week
        and candidate_pool.user_id = user_price_profile.user_id
    where item_popularity.is_top_n

)

select
    scored.*,
    0.45 * scored.own_week_share
        + 0.4 * scored.recent_week_share
        + 0.1 * least(greatest(coalesce(scored.als_score, 0), 0), 1)
        + 0.05 * scored.buyer_share as score,
    scored.price >= scored.upsell_threshold as is_upsell_price
from scored
