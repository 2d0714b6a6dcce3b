{#
  A number in [0, 1) that depends only on the customer and the channel: simulated reach puts a
  customer on a channel when the draw lies below the channel's share. md5, not hash(): DuckDB's
  hash() may change between versions, md5 never does, so a rebuild reaches the same customers.
#}
{% macro reach_draw(user_id, channel) %}
    ({{ hex_to_number('substr(md5(cast(' ~ user_id ~ " as string) || '|' || " ~ channel ~ '), 1, 8)') }}
        / 4294967296.0)
{% endmacro %}
