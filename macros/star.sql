{#- The columns of `relation` but those in `except`, each qualified with `alias`: the portable
    form of DuckDB's `alias.* exclude (...)`, which Spark SQL lacks. Before the relation exists
    (dbt parse, or a compile on an empty database) it is `alias.*`. -#}
{% macro star(relation, alias, except=[]) %}
    {%- set columns = adapter.get_columns_in_relation(relation) if execute else [] -%}
    {%- if not columns -%}
        {{ alias }}.*
    {%- else -%}
        {%- for column in columns if column.name | lower not in except -%}
            {{ alias }}.{{ column.name }}{{ ', ' if not loop.last }}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
