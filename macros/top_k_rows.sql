{#- The best k rows of every group of a relation (a table or CTE name): the `keys` columns, the
    `columns`, and `position` (1 for the best, a bigint). `order_by` lists columns of the relation,
    each 'desc' or 'asc', the first deciding; the last must break every tie (an id), so that both
    engines keep the same rows. `k` may be a scalar subquery.
    DuckDB: a top-k aggregate (max of a struct, k) and an unnest with ordinality, which keeps k rows
    per group without sorting each group; an 'asc' column is negated in the struct, so it must be a
    number. Spark: a row_number window and a filter. -#}
{% macro top_k_rows(relation, keys, order_by, columns, k, position='position') -%}
    {{ return(adapter.dispatch('top_k_rows')(relation, keys, order_by, columns, k, position)) }}
{%- endmacro %}

{% macro default__top_k_rows(relation, keys, order_by, columns, k, position) %}
    {%- set fields = [] -%}
    {%- for term in order_by -%}
        {%- set column, direction = term.split() -%}
        {%- do fields.append(('order_' ~ loop.index, ('-' if direction == 'asc') ~ relation ~ '.' ~ column)) -%}
    {%- endfor -%}
    {%- for column in columns -%}
        {%- do fields.append((column, relation ~ '.' ~ column)) -%}
    {%- endfor %}
select
    {% for key in keys %}top_lists.{{ key }}, {% endfor %}
    {% for column in columns %}top_rows.top_row.{{ column }}, {% endfor %}
    top_rows.{{ position }}
from (
    select
        {% for key in keys %}{{ relation }}.{{ key }}, {% endfor %}
        max({{ struct_of(fields) }}, {{ k }}) as top_list
    from {{ relation }}
    group by {% for key in keys %}{{ relation }}.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
) as top_lists,
    unnest(top_lists.top_list) with ordinality as top_rows (top_row, {{ position }})
{%- endmacro %}

{% macro spark__top_k_rows(relation, keys, order_by, columns, k, position) -%}
select
    {% for column in keys + columns %}ranked_rows.{{ column }}, {% endfor %}
    ranked_rows.{{ position }}
from (
    select
        {% for column in keys + columns %}{{ relation }}.{{ column }}, {% endfor %}
        cast(row_number() over (
            partition by {% for key in keys %}{{ relation }}.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
            order by {% for term in order_by %}{{ relation }}.{{ term }}{{ ', ' if not loop.last }}{% endfor %}
        ) as bigint) as {{ position }}
    from {{ relation }}
) as ranked_rows
where ranked_rows.{{ position }} <= {{ k }}
{%- endmacro %}
