{#- The on-run-start hook: check every input file before any model replaces a table.
    recsys_input_problem() comes from the dbt-duckdb plugin recsys.dbt_plugin (profiles.yml);
    a problem stops the whole run as a compilation error, with the problem's one line. -#}
{% macro check_inputs() %}
    {%- if execute -%}
        {%- set data_dir = var("data_dir", "") | replace("'", "''") -%}
        {%- set problem = run_query("select recsys_input_problem('" ~ data_dir ~ "')").columns[0].values()[0] -%}
        {%- if problem -%}
            {{ exceptions.raise_compiler_error(problem) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
