{#- The q-quantile of a value from a count of rows per distinct value: the lowest value at or below
    which at least q of the rows lie. An aggregate over rows that carry the running count of rows up
    to their value (`running_count`, ordered by the value) and the group's total (`total_count`);
    null for a group with no rows. Counting rows per distinct price first keeps the work far
    smaller than a median over every line, and DuckDB can spill the counts to disk. -#}
{% macro quantile_from_counts(value, running_count, total_count, quantile) %}
    min({{ value }}) filter (
        where {{ total_count }} > 0 and {{ running_count }} >= {{ quantile }} * {{ total_count }}
    )
{%- endmacro %}
