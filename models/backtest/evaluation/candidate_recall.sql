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

-- one row per purchase and source: found by the source or not
per_source as (

    select
        found.cutoff_week,
        'own' as source,
        found.from_own as is_found
    from found
    union all
    select
        found.cutoff_week,
        'als' as source,
        found.from_als as is_found
    from found
    union all
    select
        found.cutoff_week,
        'popular' as source,
        found.from_popular as is_found
    from found
    union all
    select
        found.cutoff_week,
        'promo' as source,
        found.from_promo as is_found
    from found
    union all
    select
        found.cutoff_week,
        'type_alternative' as source,
        found.from_type_alternative as is_found
    from found
    union all
    select
        found.cutoff_week,
        'upsell' as source,
        found.from_upsell as is_found
    from found
    union all
    select
        found.cutoff_week,
        'all' as source,
        found.from_any as is_found
    from found

)

select
    per_source.cutoff_week,
    per_source.source,
    count(*) as n_purchases,
    count(*) filter (where per_source.is_found) as n_found,
    count(*) filter (where per_source.is_found) / count(*) as recall
from per_source
group by per_source.cutoff_week, per_source.source
