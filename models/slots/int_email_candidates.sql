-- One row per cutoff with a ranker, recipient and candidate item, with everything the slots need:
-- the purchase probability (score), the price, the promo flag, the product type and whether the
-- customer ever bought the item. The candidates and their features are int_ranker_candidates and
-- int_ranker_features; score is the ranker's calibrated probability (ranker_scores), so that
-- score x price, the expected revenue, means money.
--
-- hybrid_score keeps the earlier hand-set propensity as a baseline: 0.45 x own_week_share + 0.4 x
-- recent_week_share + 0.1 x the ALS score (clipped to [0, 1]) + 0.05 x buyer_share.
-- Built a batch of customers at a time (macros/customer_batches.sql).
{{ config(post_hook="{{ insert_customer_batches() }}") }}

with features as (

    select * from {{ ref('int_ranker_features') }}
    where {{ in_customer_batch('user_id') }}

),

ranker_scores as (

    select * from {{ ref('ranker_scores') }}
    where {{ in_customer_batch('user_id') }}

),

catalog as (

    select * from {{ ref('int_item_catalog') }}

),

user_price_profile as (

    select * from {{ ref('int_user_price_profile') }}
    where {{ in_customer_batch('user_id') }}

)

select
    features.cutoff_week,
    features.user_id,
    features.item_id,
    catalog.product_type,
    catalog.type_id,
    features.als_score,
    features.als_rank,
    features.own_lines,
    features.own_week_share,
    features.recent_week_share,
    features.ever_bought,
    features.buyer_share,
    features.price,
    features.is_promo,
    user_price_profile.upsell_threshold,
    ranker_scores.probability as score,
    features.is_upsell_price,
    0.45 * features.own_week_share
    + 0.4 * features.recent_week_share
    + 0.1 * least(greatest(coalesce(features.als_score, 0), 0), 1)
    + 0.05 * features.buyer_share as hybrid_score
from features
inner join ranker_scores
    on features.cutoff_week = ranker_scores.cutoff_week
    and features.user_id = ranker_scores.user_id
    and features.item_id = ranker_scores.item_id
inner join catalog
    on features.cutoff_week = catalog.cutoff_week
    and features.item_id = catalog.item_id
left join user_price_profile
    on features.cutoff_week = user_price_profile.cutoff_week
    and features.user_id = user_price_profile.user_id
