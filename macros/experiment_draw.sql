{#
  A customer's draw in [0, 1) for an experiment salt: a hash of the salt and the customer id and
  nothing else. A customer is in the control group when the draw lies below control_share, so
  the group never changes while the salt stays the same, whatever else changes.
#}
{% macro experiment_draw(salt, user_id) %}
    (({{ unsigned_hash('cast(' ~ salt ~ " as string) || '/' || cast(" ~ user_id ~ ' as string)') }} % 1000000) / 1000000.0)
{% endmacro %}
