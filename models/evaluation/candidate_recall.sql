-- One row per backtest cutoff and candidate source (and 'all'): the share of the evaluated
-- customers' window purchases (ground_truth) that the source put among their candidates. No
-- ranker can recommend what the candidates miss, so this bounds every strategy built on them.
with ground_truth as (

    select * from {{ ref('ground_truth') }}

),

candidates as (

    select * from {{ ref('int_ranker_candidates') }}

),

found as (

    select
        ground_truth.cutoff_week,
        coalesce(candidates.from_own, false) as from_own,
        coalesce(candidates.from_als, false) as from_als,
        coalesce(candidates.from_popular, false) as from_popular,
        coalesce(candidates.from_promo, false) as from_promo,
        coalesce(candidates.from_type_alternative, false) as from_type_alternative,
        coalesce(candidates.from_upsell, false) as from_upsell,
        candidates.item_id is not null as from_any
    from ground_truth
    left join candidates
        on ground_truth.cutoff_week = candidates.cutoff_week
        and ground_truth.user_id = candidates.user_id
        and ground_truth.item_id = candidates.item_id

),

per_source as (

    unpivot found
    on from_own as own, from_als as als, from_popular as popular, from_promo as promo,
    from_type_alternative as type_alternative, from_upsell as upsell, from_any as 'all'
    into name source value is_found

)

select
    per_source.cutoff_week,
    per_source.source,
    count(*) as n_purchases,
    count(*) filter (where per_source.is_found) as n_found,
    count(*) filter (where per_source.is_found) / count(*) as recall
from per_source
group by per_source.cutoff_week, per_source.source
