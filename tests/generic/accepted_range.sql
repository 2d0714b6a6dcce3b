{# Fails for every row whose column is null or lies outside [min_value, max_value]; either bound may
   be left out. A column with this test needs no not_null test beside it. #}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
{#- a bound left out compares with null, which fails no row -#}
{%- set lowest = 'null' if min_value is none else min_value -%}
{%- set highest = 'null' if max_value is none else max_value %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is null
    or {{ column_name }} < {{ lowest }}
    or {{ column_name }} > {{ highest }}
{% endtest %}
