-- One row per cutoff, recipient and candidate item (top_n_items only), tagged with every source
-- that proposed it. The sources: the customer's own history (all of it), the ALS candidates,
-- the most popular items, the send week's most popular promo items, the most popular items of
-- the product types the customer buys again and again (a brand or size switch is the likeliest
-- "new" item), and the most popular items at or above the customer's upsell threshold that are
-- not on promotion (so that the upsell slot always has something). The ranker orders them.
-- Built a batch of customers at a time (macros/customer_batches.sql).
{{ config(post_hook="{{ insert_customer_batches() }}") }}

with recipients as (

    select * from {{ ref('int_recipients') }}
    where {{ in_customer_batch('user_id') }}

),

als_candidates as (

    select * from {{ ref('als_candidates') }}
    where {{ in_customer_batch('user_id') }}

),

user_item_history as (

    select * from {{ ref('int_user_item_history') }}
    where {{ in_customer_batch('user_id') }}

),

catalog as (

    select * from {{ ref('int_item_catalog') }}

),

user_price_profile as (

    select * from {{ ref('int_user_price_profile') }}
    where {{ in_customer_batch('user_id') }}

),

own_items as (

    select
        user_item_history.cutoff_week,
        user_item_history.user_id,
        user_item_history.item_id,
        'own' as source
    from user_item_history
    where user_item_history.n_lines > 0

),

als_items as (

    select
        als_candidates.cutoff_week,
        als_candidates.user_id,
        als_candidates.item_id,
        'als' as source
    from als_candidates

),

popular_items as (

    select
        recipients.cutoff_week,
        recipients.user_id,
        catalog.item_id,
        'popular' as source
    from recipients
    inner join catalog
        on recipients.cutoff_week = catalog.cutoff_week
    where catalog.popularity_rank <= {{ var('fallback_items') }}

),

promo_catalog as (

    select
        promo_ranks.cutoff_week,
        promo_ranks.item_id
    from (
        select
            catalog.cutoff_week,
            catalog.item_id,
            row_number() over (partition by catalog.cutoff_week order by catalog.popularity_rank) as promo_rank
        from catalog
        where catalog.is_promo
    ) as promo_ranks
    where promo_ranks.promo_rank <= {{ var('fallback_items') }}

),

promo_items as (

    select
        recipients.cutoff_week,
        recipients.user_id,
        promo_catalog.item_id,
        'promo' as source
    from recipients
    inner join promo_catalog
        on recipients.cutoff_week = promo_catalog.cutoff_week

),

-- the product types a customer bought in at least two weeks, their most bought first
repeated_types as (

    select
        type_ranks.cutoff_week,
        type_ranks.user_id,
        type_ranks.type_id,
        type_ranks.n_lines
    from (
        select
            user_item_history.cutoff_week,
            user_item_history.user_id,
            catalog.type_id,
            sum(user_item_history.n_lines) as n_lines,
            row_number() over (
                partition by user_item_history.cutoff_week, user_item_history.user_id
                order by sum(user_item_history.n_lines) desc, catalog.type_id
            ) as type_rank
        from user_item_history
        inner join catalog
            on user_item_history.cutoff_week = catalog.cutoff_week
            and user_item_history.item_id = catalog.item_id
        where user_item_history.n_lines > 0
        group by user_item_history.cutoff_week, user_item_history.user_id, catalog.type_id
        having sum(user_item_history.n_weeks) >= 2
    ) as type_ranks
    where type_ranks.type_rank <= {{ var('alternative_types') }}

),

type_leaders as (

    select
        leader_ranks.cutoff_week,
        leader_ranks.type_id,
        leader_ranks.item_id
    from (
        select
            catalog.cutoff_week,
            catalog.type_id,
            catalog.item_id,
            row_number() over (
                partition by catalog.cutoff_week, catalog.type_id order by catalog.popularity_rank
            ) as type_popularity_rank
        from catalog
    ) as leader_ranks
    where leader_ranks.type_popularity_rank <= {{ var('alternatives_per_type') }}

),

type_alternative_items as (

    select
        repeated_types.cutoff_week,
        repeated_types.user_id,
        type_leaders.item_id,
        'type_alternative' as source
    from repeated_types
    inner join type_leaders
        on repeated_types.cutoff_week = type_leaders.cutoff_week
        and repeated_types.type_id = type_leaders.type_id

),

upsell_items as (

    select
        upsell_ranks.cutoff_week,
        upsell_ranks.user_id,
        upsell_ranks.item_id,
        'upsell' as source
    from (
        select
            user_price_profile.cutoff_week,
            user_price_profile.user_id,
            catalog.item_id,
            row_number() over (
                partition by user_price_profile.cutoff_week, user_price_profile.user_id
                order by catalog.popularity_rank
            ) as upsell_rank
        from user_price_profile
        inner join recipients
            on user_price_profile.cutoff_week = recipients.cutoff_week
            and user_price_profile.user_id = recipients.user_id
        inner join catalog
            on user_price_profile.cutoff_week = catalog.cutoff_week
            and catalog.price >= user_price_profile.upsell_threshold
        where not catalog.is_promo
    ) as upsell_ranks
    where upsell_ranks.upsell_rank <= {{ var('upsell_candidates') }}

),

sourced as (

    select * from own_items
    union all
    select * from als_items
    union all
    select * from popular_items
    union all
    select * from promo_items
    union all
    select * from type_alternative_items
    union all
    select * from upsell_items

)

select
    sourced.cutoff_week,
    sourced.user_id,
    sourced.item_id,
    bool_or(sourced.source = 'own') as from_own,
    bool_or(sourced.source = 'als') as from_als,
    bool_or(sourced.source = 'popular') as from_popular,
    bool_or(sourced.source = 'promo') as from_promo,
    bool_or(sourced.source = 'type_alternative') as from_type_alternative,
    bool_or(sourced.source = 'upsell') as from_upsell
from sourced
inner join recipients
    on sourced.cutoff_week = recipients.cutoff_week
    and sourced.user_id = recipients.user_id
inner join catalog
    on sourced.cutoff_week = catalog.cutoff_week
    and sourced.item_id = catalog.item_id
group by sourced.cutoff_week, sourced.user_id, sourced.item_id
