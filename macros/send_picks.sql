{#
  int_send_picks, one send at a time. A week's sends are filled in order (macros/send_sequence.sql:
  by weekday, then channel_fill_order), and each leaves out the items that the customer already
  gets in an earlier send that week, on any channel, and those the customer was sent in the last
  novelty_weeks recorded weeks (int_recent_sends): a customer is one person, whatever the
  channel. Each send
  is its own statement, which reads the earlier sends' picks from the table: one query for all
  sends repeated every earlier send's slot rules inside each later one (Spark inlines CTEs, and
  its plan ran out of the driver's memory), and DuckDB held every send's lists until the end.
#}

{#- The picks of one send, a row of send_sequence() (channel, send_weekday, ...), for the customers
    of batch number `batch` (macros/customer_batches.sql), leaving out those in `earlier_picks` (a
    relation of int_send_picks' columns, none for the week's first send); with no send (no
    schedule built yet) an empty result with the same columns. -#}
{% macro send_picks(send, earlier_picks=none, batch=0) %}
    {%- set channel, send_weekday = (send[0], send[1]) if send else (none, none) -%}
    {%- set strength = var('weekday_lift_strength') -%}
    {%- set lift_strength = strength.get(send_weekday, 0) if strength is mapping else strength -%}
    {#- one filter for the three per-customer inputs: each render of it reads int_customer_batches -#}
    {%- set in_batch = in_customer_batch('user_id', batch) -%}
with candidates as {{ cte_hint('not materialized') }} (

    select * from {{ ref('int_email_candidates') }}
    where {{ in_batch }}

),

recent_sends as (

    select * from {{ ref('int_recent_sends') }}
    where {{ in_batch }}

),

-- the customers of this send, with its columns: the side the joins below build their hash table
-- on (build_sides_as_written), a few thousand rows where the candidates are millions
send_audience as (

    select
        send_recipients.cutoff_week,
        send_recipients.user_id,
        sends.send_id,
        sends.channel,
        sends.send_weekday,
        sends.window_days
    from {{ ref('int_send_recipients') }} as send_recipients
    inner join {{ ref('int_sends') }} as sends
        on send_recipients.cutoff_week = sends.cutoff_week
        and send_recipients.send_id = sends.send_id
    where {{ in_batch }}
        and {% if send %}sends.channel = '{{ channel }}' and sends.send_weekday = '{{ send_weekday }}'{% else %}false{% endif %}

),

products as (

    select * from {{ ref('stg_products') }}

),

category_weekday_lift as (

    select * from {{ ref('category_weekday_lift') }}

),

send_candidates as {{ cte_hint('not materialized') }} (

    -- the columns the slot rules read (macros/fill_slots.sql), and no others
    select
        candidates.cutoff_week,
        candidates.user_id,
        candidates.item_id,
        candidates.product_type,
        candidates.type_id,
        candidates.als_rank,
        candidates.own_week_share,
        candidates.ever_bought,
        candidates.price,
        candidates.is_promo,
        candidates.upsell_threshold,
        candidates.score,
        candidates.is_upsell_price,
        send_audience.send_id,
        send_audience.channel,
        send_audience.send_weekday,
        coalesce(category_weekday_lift.lift, 1.0) as weekday_lift,
        candidates.score * power(coalesce(category_weekday_lift.lift, 1.0), {{ lift_strength }}) as send_score
    from candidates
    inner join send_audience
        on candidates.cutoff_week = send_audience.cutoff_week
        and candidates.user_id = send_audience.user_id
    inner join products
        on candidates.item_id = products.item_id
    left join category_weekday_lift
        on send_audience.cutoff_week = category_weekday_lift.cutoff_week
        and send_audience.send_weekday = category_weekday_lift.send_weekday
        and send_audience.window_days = category_weekday_lift.window_days
        and products.category = category_weekday_lift.category
    anti join recent_sends
        on candidates.cutoff_week = recent_sends.cutoff_week
        and candidates.user_id = recent_sends.user_id
        and candidates.item_id = recent_sends.item_id
    {% if earlier_picks is not none %}
    anti join (
        -- this batch's customers only: the table holds every earlier batch
        select * from {{ earlier_picks }}
        where {{ in_batch }}
    ) as earlier_picks
        on candidates.cutoff_week = earlier_picks.cutoff_week
        and candidates.user_id = earlier_picks.user_id
        and candidates.item_id = earlier_picks.item_id
    {% endif %}

),

-- a cutoff has one send per channel and weekday, so cutoff and customer key each list: a text
-- send_id in every group and join of the slot rules cost time
send_picks as (

    {{ fill_slots('send_candidates', ['cutoff_week', 'user_id'], rank_by='send_score',
        extra_columns=['send_id', 'channel', 'send_weekday', 'send_score', 'weekday_lift']) }}

)

select {{ send_picks_columns('send_picks') }}
from send_picks
{% endmacro %}

{#- int_send_picks' columns, in order. -#}
{% macro send_picks_columns(relation=none) -%}
    {%- set columns = ['cutoff_week', 'send_id', 'user_id', 'position', 'item_id', 'slot', 'score', 'price',
        'expected_revenue', 'reason', 'product_type', 'type_id', 'upsell_threshold', 'ever_bought',
        'is_promo', 'channel', 'send_weekday', 'send_score', 'weekday_lift'] -%}
    {%- for column in columns %}{{ relation ~ '.' if relation }}{{ column }}{{ ', ' if not loop.last }}{% endfor -%}
{%- endmacro %}

{#- int_send_picks' post-hook: the other sends and customer batches, each inserted in turn by its
    own statement (the model's query is the first batch's first send). It renders to nothing (so
    dbt runs no further statement), and only when the model runs. -#}
{% macro insert_later_sends() %}
    {%- if execute -%}
        {%- set sends = send_sequence() -%}
        {%- for batch in range(customer_batches() | length) -%}
            {%- for send in (sends if batch > 0 else sends[1:]) -%}
                {%- do run_query('insert into ' ~ this ~ ' (' ~ send_picks_columns() ~ ')\n'
                    ~ send_picks(send, earlier_picks=this if send != sends[0] else none, batch=batch)) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
