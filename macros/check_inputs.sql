{#- The on-run-start hook: check every input file before any model replaces a table. A problem
    stops the whole run as a compilation error, with the problem's one line. The check is
    recsys.dbt_plugin.input_problem: on DuckDB through the SQL function the dbt-duckdb plugin
    registers (profiles.yml), on Spark through an adapter method (src/dbt_recsys_spark.py). -#}
{% macro check_inputs() %}
    {%- if execute -%}
        {%- set problem = adapter.dispatch('input_problem')(var("data_dir", "")) -%}
        {%- if problem -%}
            {{ exceptions.raise_compiler_error(problem) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro default__input_problem(data_dir) %}
    {%- set sql = "select recsys_input_problem('" ~ (data_dir | replace("'", "''")) ~ "')" -%}
    {{ return(run_query(sql).columns[0].values()[0]) }}
{% endmacro %}

{% macro spark__input_problem(data_dir) %}
    {{ return(adapter.recsys_input_problem(data_dir)) }}
{% endmacro %}
