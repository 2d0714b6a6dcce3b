-- One row per cutoff and item of the catalogue (int_item_catalog): the ranker's features that
-- depend on the item alone, every one computed from weeks <= the cutoff: price, popularity and its
-- trend, the send week's promotion (displays, mailers), how it sells on discount, its past promo
-- lift. The view int_ranker_features joins them to every candidate, so they are stored once per
-- item rather than once per candidate.
with catalog as (

    select * from {{ ref('int_item_catalog') }}

),

cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

user_item_weeks as (

    select * from {{ ref('int_user_item_weeks') }}

),

promotions as (

    select * from {{ ref('stg_promotions') }}

),

-- the item's promo lift over the last price_window_weeks: buyers per week on promotion against
-- buyers per week off it
item_weeks as (

    select
        user_item_weeks.item_id,
        user_item_weeks.week,
        user_item_weeks.band_week,
        count(*) as n_buyers
    from user_item_weeks
    where user_item_weeks.n_lines > 0
    group by user_item_weeks.item_id, user_item_weeks.week, user_item_weeks.band_week

),

item_promo_lift as (

    select
        cutoffs.cutoff_week,
        item_weeks.item_id,
        (coalesce(sum(item_weeks.n_buyers) filter (where promotions.item_id is not null), 0) + 1)
        / (count(promotions.item_id) + 1)
        / (
            (coalesce(sum(item_weeks.n_buyers) filter (where promotions.item_id is null), 0) + 1)
            / ({{ var('price_window_weeks') }} - count(promotions.item_id) + 1)
        ) as promo_lift
    from cutoffs
    inner join item_weeks
        on {{ seen_by_cutoff('item_weeks', 'cutoffs') }}
        and item_weeks.week > cutoffs.cutoff_week - {{ var('price_window_weeks') }}
    left join promotions
        on item_weeks.item_id = promotions.item_id
        and item_weeks.week = promotions.week
    group by cutoffs.cutoff_week, item_weeks.item_id

)

select
    catalog.cutoff_week,
    catalog.item_id,
    catalog.price,
    catalog.popularity_rank,
    catalog.buyer_share,
    catalog.buyer_trend,
    catalog.is_promo,
    catalog.display_stores,
    catalog.mailer_stores,
    catalog.discount_line_share,
    cast(catalog.discount_depth as double) as discount_depth,
    catalog.price_to_type_median,
    coalesce(item_promo_lift.promo_lift, 1) as promo_lift
from catalog
left join item_promo_lift
    on catalog.cutoff_week = item_promo_lift.cutoff_week
    and catalog.item_id = item_promo_lift.item_id
