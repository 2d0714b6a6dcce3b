{#
  The sends of a week in the order int_send_picks fills them, as (channel, send_weekday) rows:
  by weekday, and within a day by the var channel_fill_order. Read from int_sends when the model
  runs; before anything is built (dbt parse, or docs on an empty database) the list is empty.
#}
{% macro send_sequence() %}
    {%- set sends = load_relation(ref('int_sends')) if execute else none -%}
    {%- if sends is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set rows = run_query(
        "select distinct channel, send_weekday, iso_weekday, fill_order from " ~ sends
        ~ " order by iso_weekday, fill_order, channel") -%}
    {{ return(rows.rows | map('list') | list) }}
{% endmacro %}
