{#
  A customer's draw in [0, 1) for an experiment salt: a hash of the salt and the customer id and
  nothing else (macro uniform_draw, the same on DuckDB and Spark). A customer is in the control
  group when the draw lies below control_share, so the group never changes while the salt stays
  the same, whatever else changes, and a Spark build puts every customer in DuckDB's group.
#}
{% macro experiment_draw(salt, user_id) %}
    {{ uniform_draw('cast(' ~ salt ~ " as string) || '/' || cast(" ~ user_id ~ ' as string)') }}
{% endmacro %}
