{#- The mean of a double expression, the same to the last bit on every build: the values are summed
    as decimals (exact, in any order) rather than as doubles, whose sum depends on the order in
    which parallel threads add them up. Each value is rounded to 18 decimals first, far below a
    double's own precision for the metrics' values between 0 and 1. -#}
{% macro exact_mean(expression) -%}
    cast(avg(cast({{ expression }} as decimal(38, 18))) as double)
{%- endmacro %}
