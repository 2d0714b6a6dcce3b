{#
  A number in [0, 1) that depends only on a string: the first 8 hex digits of its md5, over 2^32.
  md5, not hash(): DuckDB's hash() may change between versions, md5 never does, and DuckDB and
  Spark compute it alike (hex_to_number is exact for 8 digits on both), so the same string draws
  the same number on every build and on either engine.
#}
{% macro uniform_draw(text) %}
    ({{ hex_to_number('substr(md5(' ~ text ~ '), 1, 8)') }} / 4294967296.0)
{% endmacro %}
