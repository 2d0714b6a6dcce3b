{#
  A number in [0, 1) that depends only on the customer and the channel: simulated reach puts a
  customer on a channel when the draw lies below the channel's share (macro uniform_draw).
#}
{% macro reach_draw(user_id, channel) %}
    {{ uniform_draw('cast(' ~ user_id ~ " as string) || '|' || " ~ channel) }}
{% endmacro %}
