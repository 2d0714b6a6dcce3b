-- One row per cutoff, send, customer and item: every send filled by the e-mail's slot rules
-- (macros/fill_slots.sql), from the customer's e-mail candidates ranked by send_score =
-- score x weekday lift ^ weekday_lift_strength (of the send's weekday). The sends of a week are
-- filled in order (macros/send_sequence.sql: by weekday, then channel_fill_order), and each
-- leaves out the items the customer already gets that week on the same channel or that day on
-- another channel: the Friday e-mail never repeats the Wednesday e-mail, and the push of a day
-- never repeats its e-mail.
-- the slot rules read the seed (the loop below is empty while dbt parses):
-- depends_on: {{ ref('email_slots') }}
{%- set sends = send_sequence() %}
{%- set strength = var('weekday_lift_strength') %}
{%- if strength is mapping %}
{%- set lift_strength -%}
case sends.send_weekday
{%- for weekday, value in strength.items() %} when '{{ weekday }}' then {{ value }}{% endfor %}
        else 0 end
    {%- endset %}
{%- else %}
{%- set lift_strength = strength %}
{%- endif %}
-- The candidate CTEs are not materialized: DuckDB holds a materialized CTE in memory until the
-- query ends, and the sends' candidate rows filled the memory limit at 1x already (5 GB, spilling);
-- repeating the joins for every scan costs less.
with candidates as {{ cte_hint('not materialized') }} (

    select * from {{ ref('int_email_candidates') }}

),

send_recipients as (

    select * from {{ ref('int_send_recipients') }}

),

sends as (

    select * from {{ ref('int_sends') }}

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
        sends.send_id,
        sends.channel,
        sends.send_weekday,
        coalesce(category_weekday_lift.lift, 1.0) as weekday_lift,
        candidates.score * power(coalesce(category_weekday_lift.lift, 1.0), {{ lift_strength }}) as send_score
    from send_recipients
    inner join sends
        on send_recipients.cutoff_week = sends.cutoff_week
        and send_recipients.send_id = sends.send_id
    inner join candidates
        on send_recipients.cutoff_week = candidates.cutoff_week
        and send_recipients.user_id = candidates.user_id
    inner join products
        on candidates.item_id = products.item_id
    left join category_weekday_lift
        on sends.cutoff_week = category_weekday_lift.cutoff_week
        and sends.send_weekday = category_weekday_lift.send_weekday
        and sends.window_days = category_weekday_lift.window_days
        and products.category = category_weekday_lift.category

),
{% for i in range(sends | length) %}
{%- set channel, send_weekday = sends[i][0], sends[i][1] %}

-- {{ send_weekday }} {{ channel }}
send_{{ i }}_candidates as {{ cte_hint('not materialized') }} (

    select send_candidates.*
    from send_candidates
    {%- for j in range(i) if sends[j][0] == channel or sends[j][1] == send_weekday %}
    anti join send_{{ j }}_picks
        on send_candidates.cutoff_week = send_{{ j }}_picks.cutoff_week
        and send_candidates.user_id = send_{{ j }}_picks.user_id
        and send_candidates.item_id = send_{{ j }}_picks.item_id
    {%- endfor %}
    where send_candidates.channel = '{{ channel }}'
        and send_candidates.send_weekday = '{{ send_weekday }}'

),

-- a cutoff has one send per channel and weekday, so cutoff and customer key each list: a text
-- send_id in every group and join of the slot rules cost time
send_{{ i }}_picks as (

    {{ fill_slots('send_' ~ i ~ '_candidates', ['cutoff_week', 'user_id'], rank_by='send_score',
        extra_columns=['send_id', 'channel', 'send_weekday', 'send_score', 'weekday_lift']) }}

),
{% endfor %}

send_picks as (

    {%- for i in range(sends | length) %}
    {{ 'union all' if not loop.first }}
    select * from send_{{ i }}_picks
    {%- else %}
    -- no schedule built yet (dbt parse, docs on an empty database): nothing to fill
    select * from send_candidates
    where false
    {%- endfor %}

)

select
    send_picks.cutoff_week,
    send_picks.send_id,
    send_picks.user_id,
    send_picks.position,
    send_picks.item_id,
    send_picks.slot,
    send_picks.score,
    send_picks.price,
    send_picks.expected_revenue,
    send_picks.reason,
    send_picks.product_type,
    send_picks.type_id,
    send_picks.upsell_threshold,
    send_picks.ever_bought,
    send_picks.is_promo,
    send_picks.channel,
    send_picks.send_weekday,
    send_picks.send_score,
    send_picks.weekday_lift
from send_picks
