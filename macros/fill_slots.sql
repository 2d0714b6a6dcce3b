{#
  The e-mail's slot rules, written once: a query that fills the slots of the email_slots seed for
  every list of `candidates` (a relation or CTE name), one list per combination of the `keys`
  columns. int_email_picks fills one list per cutoff and customer; int_send_picks one per cutoff,
  send and customer, from candidates that leave out what the customer already gets that week.

  Slots are filled in the order promo, new, upsell. Within a slot the candidates with the best
  `rank_by` win, one per product type, and a type an earlier slot took is not taken again, so the
  list shows different things. The items are then ordered by expected revenue (score x price).
  A list exists only when every slot is full: a customer whose upsell threshold lies above the
  price of every recommendable item gets none.

  `candidates` has the columns of int_email_candidates (at least the keys, item_id, type_id,
  score, price, is_promo, ever_bought, is_upsell_price, own_week_share, als_rank, product_type,
  upsell_threshold) and `rank_by`; `extra_columns` are passed through to the result.
#}
{% macro fill_slots(candidates, keys, rank_by='score', extra_columns=[]) %}
    {%- set key_list = keys | join(', ') -%}
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

-- the best item of every product type for every slot (ties: the lower item id), with
-- fixed-width aggregates and a join, which DuckDB can spill to disk on large data
best_scores as (

    select {{ key_list }}, slot, type_id, max(rank_score) as rank_score
    from slot_candidates
    group by all

),

best_per_type as (

    select
        {% for key in keys %}best_scores.{{ key }}, {% endfor %}
        best_scores.slot,
        best_scores.type_id,
        min(slot_candidates.item_id) as item_id,
        best_scores.rank_score
    from best_scores
    inner join slot_candidates
        on {% for key in keys %}best_scores.{{ key }} = slot_candidates.{{ key }} and {% endfor %}
        best_scores.slot = slot_candidates.slot
        and best_scores.type_id = slot_candidates.type_id
        and best_scores.rank_score = slot_candidates.rank_score
    group by all

),

-- earlier slots take at most email_size - 1 types, so the best email_size types of every slot
-- always leave enough for it. A top-k aggregate keeps them without sorting every type: the
-- struct orders by rank_score, then by the lower item id
slot_top_types as (

    select
        {% for key in keys %}best_per_type.{{ key }}, {% endfor %}
        best_per_type.slot,
        max(
            {
                'rank_score': best_per_type.rank_score,
                'item_order': -best_per_type.item_id,
                'type_id': best_per_type.type_id,
                'item_id': best_per_type.item_id
            },
            (select email_size.n_items from email_size)
        ) as top_types
    from best_per_type
    group by all

),

slot_options as (

    select
        {% for key in keys %}slot_top_types.{{ key }}, {% endfor %}
        slot_top_types.slot,
        top_type.type_id,
        top_type.item_id,
        top_type.rank_score
    from slot_top_types, unnest(slot_top_types.top_types) as top_types (top_type)

),

promo_picks as (

    select slot_options.*
    from slot_options
    where slot_options.slot = 'promo'
    qualify row_number() over (
        partition by {{ key_list }}
        order by slot_options.rank_score desc, slot_options.item_id
    ) <= (select email_slots.n_items from email_slots where email_slots.slot = 'promo')

),

new_picks as (

    select slot_options.*
    from slot_options
    anti join promo_picks
        on {% for key in keys %}slot_options.{{ key }} = promo_picks.{{ key }} and {% endfor %}
        slot_options.type_id = promo_picks.type_id
    where slot_options.slot = 'new'
    qualify row_number() over (
        partition by {% for key in keys %}slot_options.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
        order by slot_options.rank_score desc, slot_options.item_id
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
        on {% for key in keys %}slot_options.{{ key }} = earlier_picks.{{ key }} and {% endfor %}
        slot_options.type_id = earlier_picks.type_id
    where slot_options.slot = 'upsell'
    qualify row_number() over (
        partition by {% for key in keys %}slot_options.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
        order by slot_options.rank_score desc, slot_options.item_id
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
    inner join {{ candidates }} as candidates
        on {% for key in keys %}picks.{{ key }} = candidates.{{ key }} and {% endfor %}
        picks.item_id = candidates.item_id
    qualify count(*) over (partition by {% for key in keys %}picks.{{ key }}{{ ', ' if not loop.last }}{% endfor %})
        = (select email_size.n_items from email_size)

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
{% endmacro %}
