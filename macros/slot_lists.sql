{#
  Every list that the slot rules of macros/fill_slots.sql fill, for the tests of those rules: the
  single weekly e-mail (email_policy in recommendations, list_id 'email_policy') and every send of
  every cutoff (int_send_picks, list_id = send_id). One row per cutoff, list, customer and item.
#}
{% macro slot_lists() %}
    select cutoff_week, 'email_policy' as list_id, user_id, position, item_id, slot, score, price,
        expected_revenue
    from {{ ref('recommendations') }}
    where strategy = 'email_policy'
    union all
    select cutoff_week, send_id as list_id, user_id, position, item_id, slot, score, price,
        expected_revenue
    from {{ ref('int_send_picks') }}
{% endmacro %}
