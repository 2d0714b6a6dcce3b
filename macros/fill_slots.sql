{#
  The e-mail's slot rules, written once: a query that fills the slots of the email_slots seed for
  every list of `candidates` (a relation or CTE name), one list per combination of the `keys`
  columns. int_email_picks fills one list per cutoff and customer; int_send_picks one per cutoff,
  send and customer, from candidates that leave out what the customer already gets that week.

  The slots are filled as one choice: of every set of candidates that fills each slot with its
  count of items, no product type twice (so the list shows different things), the set with the
  best expected precision@5 + email_money_weight x expected money precision@5, where `rank_by`
  is the purchase probability (sum of rank_by / 5 + weight x sum of rank_by x price / sum of
  prices). It enumerates the sets of the best-scoring item of each type among the best
  email_size types of each slot (250 sets for 3 promo / 1 new / 1 upsell): no other set can hold
  more expected purchases; for the money term it is a close approximation.
  The items are then ordered by expected revenue (score x price).
  A list exists only when every slot is full: a customer whose upsell threshold lies above the
  price of every recommendable item gets none.

  `candidates` has the columns of int_email_candidates (at least the keys, item_id, type_id,
  score, price, is_promo, ever_bought, is_upsell_price, own_week_share, als_rank, product_type,
  upsell_threshold) and `rank_by`; `extra_columns` are passed through to the result.
#}
{% macro fill_slots(candidates, keys, rank_by='score', extra_columns=[]) %}
    {%- set key_list = keys | join(', ') -%}
    {#- the e-mail's objective (see best_fill), negated for min() -#}
    {%- set objective -%}
        -round(
            (promo.expected_purchases + new.expected_purchases + upsell.expected_purchases) / email_size.n_items
            + {{ var('email_money_weight') }}
            * coalesce((promo.expected_revenue + new.expected_revenue + upsell.expected_revenue)
                / nullif(promo.total_price + new.total_price + upsell.total_price, 0), 0), 9)
    {%- endset -%}
with email_slots as (

    select * from {{ ref('email_slots') }}

),

email_size as (

    select cast(sum(email_slots.n_items) as integer) as n_items from email_slots

),

-- one scan of the candidates for all slots (a scan of the send candidates repeats their joins)
slot_candidates as (

    select
        {% for key in keys %}candidates.{{ key }}, {% endfor %}
        candidates.type_id,
        candidates.item_id,
        candidates.price,
        candidates.{{ rank_by }} as rank_score,
        email_slots.slot
    from {{ candidates }} as candidates
    inner join email_slots
        on case email_slots.slot
            when 'promo' then candidates.is_promo
            when 'new' then not candidates.ever_bought
            when 'upsell' then candidates.is_upsell_price and not candidates.is_promo
        end

),

-- the best item of every product type for every slot (ties: the lower item id), in one
-- aggregate: the max of a struct compares field by field. A max of the score joined back to the
-- candidates for the item read them twice, and took a fifth longer for a receipt send at 1x.
-- Each statement holds one batch of customers (macros/customer_batches.sql), so that this
-- aggregate's variable-width states need not spill.
best_structs as (

    select
        {{ key_list }},
        slot,
        type_id,
        max({{ struct_of([
            ('rank_score', 'rank_score'),
            ('negative_item_id', '-item_id'),
            ('price', 'price'),
        ]) }}) as best
    from slot_candidates
    group by {{ key_list }}, slot, type_id

),

best_per_type as (

    select
        {{ key_list }},
        slot,
        type_id,
        -best.negative_item_id as item_id,
        best.price,
        best.rank_score
    from best_structs

),

-- earlier slots take at most email_size - 1 types, so the best email_size types of every slot
-- always leave enough for it (for the most expected purchases); slot_rank 1 is the slot's best
-- option (best score, then the lower item id), kept without sorting every type
-- (macros/top_k_rows.sql)
slot_options as (

    {{ top_k_rows('best_per_type', keys + ['slot'], ['rank_score desc', 'item_id asc'],
        ['type_id', 'item_id', 'price', 'rank_score'], '(select email_size.n_items from email_size)',
        position='slot_rank') }}

),

-- every way to fill a slot: a set of n_items of its options, as a bit mask over their slot_rank
-- (promo: the 10 sets of 3 of 5 options), with the totals that the e-mail's objective adds up
slot_masks as (

    select
        email_slots.slot,
        email_slots.n_items,
        masks.mask
    from email_slots
    cross join {{ integer_range(
        0, '(select cast(power(2, email_size.n_items) as bigint) from email_size)', 'masks', 'mask') }}
    where bit_count(masks.mask) = email_slots.n_items

),

slot_fills as (

    select
        {% for key in keys %}slot_options.{{ key }}, {% endfor %}
        slot_options.slot,
        slot_masks.mask,
        array_agg(slot_options.type_id) as type_ids,
        sum(slot_options.rank_score) as expected_purchases,
        sum(slot_options.rank_score * slot_options.price) as expected_revenue,
        sum(slot_options.price) as total_price
    from slot_options
    inner join slot_masks
        on slot_options.slot = slot_masks.slot
        and (slot_masks.mask >> (slot_options.slot_rank - 1)) % 2 = 1
    group by all
    having count(*) = any_value(slot_masks.n_items)

),

-- every e-mail of one fill per slot with no product type twice, and the best by expected
-- precision@5 + email_money_weight x expected money precision@5 (both of the e-mail's metrics;
-- the score is a calibrated probability, so these are expectations). Ties go to the items first
-- in their slot's order (better score, then lower item id): the lowest masks. min() of a struct
-- compares field by field and is cheaper than sorting the e-mails; the objective is rounded so
-- that sums of equal scores in another order tie.
best_fill as (

    select
        {% for key in keys %}promo.{{ key }}, {% endfor %}
        min({{ struct_of([
            ('objective', objective),
            ('promo_mask', 'promo.mask'),
            ('new_mask', 'new.mask'),
            ('upsell_mask', 'upsell.mask'),
        ]) }}) as best
    from slot_fills as promo
    inner join slot_fills as new
        on {% for key in keys %}promo.{{ key }} = new.{{ key }} and {% endfor %}
        new.slot = 'new'
        and not {{ lists_overlap('promo.type_ids', 'new.type_ids') }}
    inner join slot_fills as upsell
        on {% for key in keys %}promo.{{ key }} = upsell.{{ key }} and {% endfor %}
        upsell.slot = 'upsell'
        and not {{ lists_overlap('promo.type_ids || new.type_ids', 'upsell.type_ids') }}
    cross join email_size
    where promo.slot = 'promo'
    group by {% for key in keys %}promo.{{ key }}{{ ', ' if not loop.last }}{% endfor %}

),

picks as (

    select
        {% for key in keys %}slot_options.{{ key }}, {% endfor %}
        slot_options.slot,
        slot_options.item_id
    from best_fill
    inner join slot_options
        on {% for key in keys %}best_fill.{{ key }} = slot_options.{{ key }} and {% endfor %}
        (slot_options.slot = 'promo' and (best_fill.best.promo_mask >> (slot_options.slot_rank - 1)) % 2 = 1
            or slot_options.slot = 'new' and (best_fill.best.new_mask >> (slot_options.slot_rank - 1)) % 2 = 1
            or slot_options.slot = 'upsell' and (best_fill.best.upsell_mask >> (slot_options.slot_rank - 1)) % 2 = 1)

),

picked_candidates as (

    select
        picks.slot,
        candidates.*,
        count(*) over (partition by {% for key in keys %}picks.{{ key }}{{ ', ' if not loop.last }}{% endfor %})
            as n_picked
    -- the picks (5 a list) on the build side, where int_send_picks builds sides as written
    from {{ candidates }} as candidates
    inner join picks
        on {% for key in keys %}picks.{{ key }} = candidates.{{ key }} and {% endfor %}
        picks.item_id = candidates.item_id

)

select
    {% for key in keys %}picked_candidates.{{ key }},
    {% endfor -%}
    cast(row_number() over (
        partition by {% for key in keys %}picked_candidates.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
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
{%- for column in extra_columns %},
    picked_candidates.{{ column }}
{%- endfor %}
from picked_candidates
-- only complete lists
where picked_candidates.n_picked = (select email_size.n_items from email_size)
{% endmacro %}
