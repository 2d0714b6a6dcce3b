-- One row per cutoff, send, customer and item: every send filled by the e-mail's slot rules
-- (macros/fill_slots.sql), from the customer's e-mail candidates ranked by send_score =
-- score x weekday lift ^ weekday_lift_strength (of the send's weekday). The sends of a week are
-- filled in order (macros/send_sequence.sql: by weekday, then channel_fill_order), and each
-- leaves out the items the customer already gets that week on the same channel or that day on
-- another channel: the Friday e-mail never repeats the Wednesday e-mail, and the push of a day
-- never repeats its e-mail. The model's query fills the first send; its post-hook inserts the
-- others one statement each (macros/send_picks.sql).
-- the slot rules read the seed (the schedule is empty while dbt parses):
-- depends_on: {{ ref('email_slots') }}
{{ config(post_hook="{{ insert_later_sends() }}") }}
{%- set sends = send_sequence() %}
{{ send_picks(sends[0] if sends else none) }}
