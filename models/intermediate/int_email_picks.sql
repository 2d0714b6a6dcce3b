-- One row per cutoff, recipient and e-mail item: the slots of the email_slots seed filled in the
-- order promo, new, upsell. Within a slot the candidates with the best score win, one per
-- product type, and a type an earlier slot took is not taken again, so the e-mail shows
-- different things. The items are then ordered by expected revenue (score x price).
-- A customer gets an e-mail only when every slot is full: a customer whose upsell threshold
-- lies above the price of every recommendable item gets none, and the evaluation counts that
-- as five misses.
with candidates as (

    select
        *,
        -- an item with no product type is a type of its own
        coalesce(product_type, 'item ' || item_id) as type_key,
        case
            when own_week_share >= 0.2 then 'you buy it often'
            when ever_bought then 'you have bought it before'
            when als_rank is not null then 'customers with baskets like yours buy it'
            else 'popular with our customers'
        end as evidence
    from {{ ref('int_email_candidates') }}

),

email_slots as (

    select * from {{ ref('email_slots') }}

),

promo_candidates as (

    select candidates.*
    from candidates
    where candidates.is_promo
    qualify row_number() over (
        partition by candidates.cutoff_week, candidates.user_id, candidates.type_key
        order by candidates.score desc, candidates.item_id
    ) = 1

),

promo_picks as (

    select promo_candidates.*, 'promo' as slot
    from promo_candidates
    qualify row_number() over (
        partition by promo_candidates.cutoff_week, promo_candidates.user_id
        order by promo_candidates.score desc, promo_candidates.item_id
    ) <= (select email_slots.n_items from email_slots where email_slots.slot = 'promo')

),

new_candidates as (

    select candidates.*
    from candidates
    where not candidates.ever_bought
        and not exists (
            select 1 from promo_picks
            where promo_picks.cutoff_week = candidates.cutoff_week
                and promo_picks.user_id = candidates.user_id
                and promo_picks.type_key = candidates.type_key
        )
    qualify row_number() over (
        partition by candidates.cutoff_week, candidates.user_id, candidates.type_key
        order by candidates.score desc, candidates.item_id
    ) = 1

),

new_picks as (

    select new_candidates.*, 'new' as slot
    from new_candidates
    qualify row_number() over (
        partition by new_candidates.cutoff_week, new_candidates.user_id
        order by new_candidates.score desc, new_candidates.item_id
    ) <= (select email_slots.n_items from email_slots where email_slots.slot = 'new')

),

earlier_picks as (

    select * from promo_picks
    union all
    select * from new_picks

),

upsell_candidates as (

    select candidates.*
    from candidates
    where candidates.is_upsell_price
        and not candidates.is_promo
        and not exists (
            select 1 from earlier_picks
            where earlier_picks.cutoff_week = candidates.cutoff_week
                and earlier_picks.user_id = candidates.user_id
                and earlier_picks.type_key = candidates.type_key
        )
    qualify row_number() over (
        partition by candidates.cutoff_week, candidates.user_id, candidates.type_key
        order by candidates.score desc, candidates.item_id
    ) = 1

),

upsell_picks as (

    select upsell_candidates.*, 'upsell' as slot
    from upsell_candidates
    qualify row_number() over (
        partition by upsell_candidates.cutoff_week, upsell_candidates.user_id
        order by upsell_candidates.score desc, upsell_candidates.item_id
    ) <= (select email_slots.n_items from email_slots where email_slots.slot = 'upsell')

),

picks as (

    select * from earlier_picks
    union all
    select * from upsell_picks

)

select
    picks.cutoff_week,
    picks.user_id,
    cast(row_number() over (
        partition by picks.cutoff_week, picks.user_id
        order by picks.score * picks.price desc, picks.item_id
    ) as integer) as position,
    picks.item_id,
    picks.slot,
    picks.score,
    picks.price,
    picks.score * picks.price as expected_revenue,
    case picks.slot
        when 'promo' then 'on promotion in the send week'
        when 'new' then 'new for you'
        when 'upsell' then 'a step up from your usual price'
    end || '; ' || picks.evidence as reason,
    picks.product_type,
    picks.type_key,
    picks.upsell_threshold,
    picks.ever_bought,
    picks.is_promo
from picks
qualify count(*) over (partition by picks.cutoff_week, picks.user_id)
    = (select sum(email_slots.n_items) from email_slots)
