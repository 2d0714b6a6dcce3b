-- One row per cutoff, recipient and e-mail item: the slots of the email_slots seed filled in the
-- order promo, new, upsell. Within a slot the candidates with the best score win, one per
-- product type, and a type an earlier slot took is not taken again, so the e-mail shows
-- different things. The items are then ordered by expected revenue (score x price).
-- A customer gets an e-mail only when every slot is full: a customer whose upsell threshold
-- lies above the price of every recommendable item gets none, and the evaluation counts that
-- as five misses.
-- not materialized: scanning the table again is cheaper than holding a copy of it in memory
with candidates as not materialized (

    select * from {{ ref('int_email_candidates') }}

),

email_slots as (

    select * from {{ ref('email_slots') }}

),

email_size as (

    select sum(email_slots.n_items) as n_items from email_slots

),

slot_candidates as (

    select candidates.cutoff_week, candidates.user_id, candidates.type_id, candidates.item_id,
        candidates.score, 'promo' as slot
    from candidates
    where candidates.is_promo
    union all
    select candidates.cutoff_week, candidates.user_id, candidates.type_id, candidates.item_id,
        candidates.score, 'new' as slot
    from candidates
    where not candidates.ever_bought
    union all
    select candidates.cutoff_week, candidates.user_id, candidates.type_id, candidates.item_id,
        candidates.score, 'upsell' as slot
    from candidates
    where candidates.is_upsell_price and not candidates.is_promo

),

-- the best item of every product type for every slot (ties: the lower item id), with
-- fixed-width aggregates and a join, which DuckDB can spill to disk on large data
best_scores as (

    select
        slot_candidates.cutoff_week,
        slot_candidates.user_id,
        slot_candidates.slot,
        slot_candidates.type_id,
        max(slot_candidates.score) as score
    from slot_candidates
    group by all

),

best_per_type as (

    select
        best_scores.cutoff_week,
        best_scores.user_id,
        best_scores.slot,
        best_scores.type_id,
        min(slot_candidates.item_id) as item_id,
        best_scores.score
    from best_scores
    inner join slot_candidates
        on best_scores.cutoff_week = slot_candidates.cutoff_week
        and best_scores.user_id = slot_candidates.user_id
        and best_scores.slot = slot_candidates.slot
        and best_scores.type_id = slot_candidates.type_id
        and best_scores.score = slot_candidates.score
    group by all

),

-- earlier slots take at most email_size - 1 types, so the best email_size types of every slot
-- always leave enough for it
slot_options as (

    select best_per_type.*
    from best_per_type
    qualify row_number() over (
        partition by best_per_type.cutoff_week, best_per_type.user_id, best_per_type.slot
        order by best_per_type.score desc, best_per_type.item_id
    ) <= (select email_size.n_items from email_size)

),

promo_picks as (

    select slot_options.*
    from slot_options
    where slot_options.slot = 'promo'
    qualify row_number() over (
        partition by slot_options.cutoff_week, slot_options.user_id
        order by slot_options.score desc, slot_options.item_id
    ) <= (select email_slots.n_items from email_slots where email_slots.slot = 'promo')

),

new_picks as (

    select slot_options.*
    from slot_options
    anti join promo_picks
        on slot_options.cutoff_week = promo_picks.cutoff_week
        and slot_options.user_id = promo_picks.user_id
        and slot_options.type_id = promo_picks.type_id
    where slot_options.slot = 'new'
    qualify row_number() over (
        partition by slot_options.cutoff_week, slot_options.user_id
        order by slot_options.score desc, slot_options.item_id
    ) <= (select email_slots.n_items from email_slots where email_slots.slot = 'new')

),

earlier_picks as (

    select * from promo_picks
    union all
    select * from new_picks

),

upsell_picks as (

    select slot_options.*
    from slot_options
    anti join earlier_picks
        on slot_options.cutoff_week = earlier_picks.cutoff_week
        and slot_options.user_id = earlier_picks.user_id
        and slot_options.type_id = earlier_picks.type_id
    where slot_options.slot = 'upsell'
    qualify row_number() over (
        partition by slot_options.cutoff_week, slot_options.user_id
        order by slot_options.score desc, slot_options.item_id
    ) <= (select email_slots.n_items from email_slots where email_slots.slot = 'upsell')

),

picks as (

    select earlier_picks.* from earlier_picks
    union all
    select upsell_picks.* from upsell_picks

),

picked_candidates as (

    select picks.slot, candidates.*
    from picks
    inner join candidates
        on picks.cutoff_week = candidates.cutoff_week
        and picks.user_id = candidates.user_id
        and picks.item_id = candidates.item_id
    qualify count(*) over (partition by picks.cutoff_week, picks.user_id)
        = (select email_size.n_items from email_size)

)

select
    picked_candidates.cutoff_week,
    picked_candidates.user_id,
    cast(row_number() over (
        partition by picked_candidates.cutoff_week, picked_candidates.user_id
        order by picked_candidates.score * picked_candidates.price desc, picked_candidates.item_id
    ) as integer) as position,
    picked_candidates.item_id,
    picked_candidates.slot,
    picked_candidates.score,
    picked_candidates.price,
    picked_candidates.score * picked_candidates.price as expected_revenue,
    case picked_candidates.slot
        when 'promo' then 'on promotion in the send week'
        when 'new' then 'new for you'
        when 'upsell' then 'a step up from your usual price'
    end || '; ' || case
        when picked_candidates.own_week_share >= 0.2 then 'you buy it often'
        when picked_candidates.ever_bought then 'you have bought it before'
        when picked_candidates.als_rank is not null then 'customers with baskets like yours buy it'
        else 'popular with our customers'
    end as reason,
    picked_candidates.product_type,
    picked_candidates.type_id,
    picked_candidates.upsell_threshold,
    picked_candidates.ever_bought,
    picked_candidates.is_promo
from picked_candidates
