-- One row per cutoff, recipient and candidate: the ranker's features (int_ranker_features.yml),
-- those that depend on the customer (int_ranker_candidate_features) beside those of the item
-- alone (int_ranker_item_features). A view: the item's columns are stored once per item, not
-- once per candidate (they were about two thirds of the database).
{{ config(materialized='view') }}

with candidate_features as (

    select * from {{ ref('int_ranker_candidate_features') }}

),

item_features as (

    select * from {{ ref('int_ranker_item_features') }}

)

select
    candidate_features.cutoff_week,
    candidate_features.user_id,
    candidate_features.item_id,
    candidate_features.from_own,
    candidate_features.from_als,
    candidate_features.from_popular,
    candidate_features.from_promo,
    candidate_features.from_type_alternative,
    candidate_features.from_upsell,
    candidate_features.ever_bought,
    candidate_features.own_lines,
    candidate_features.own_weeks,
    candidate_features.own_week_share,
    candidate_features.recent_week_share,
    candidate_features.decayed_weeks,
    candidate_features.weeks_since_last_purchase,
    candidate_features.mean_interval_weeks,
    candidate_features.interval_ratio,
    candidate_features.own_discount_share,
    candidate_features.own_promo_week_share,
    candidate_features.als_score,
    candidate_features.als_rank,
    item_features.price,
    item_features.popularity_rank,
    item_features.buyer_share,
    item_features.buyer_trend,
    item_features.is_promo,
    item_features.display_stores,
    item_features.mailer_stores,
    item_features.discount_line_share,
    item_features.discount_depth,
    item_features.price_to_type_median,
    item_features.promo_lift,
    candidate_features.promo_affinity,
    candidate_features.price_to_own_median,
    candidate_features.is_upsell_price,
    candidate_features.department_spend_share,
    candidate_features.type_line_share,
    candidate_features.weeks_since_type_purchase,
    candidate_features.baskets_per_week,
    candidate_features.weeks_since_last_visit
from candidate_features
inner join item_features
    on candidate_features.cutoff_week = item_features.cutoff_week
    and candidate_features.item_id = item_features.item_id
