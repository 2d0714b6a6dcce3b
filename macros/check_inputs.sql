{#- The on-run-start hook: check every input file before any model replaces a table.
    recsys_check_inputs() comes from the dbt-duckdb plugin recsys.dbt_plugin (profiles.yml). -#}
{% macro check_inputs() %}
    select recsys_check_inputs('{{ var("data_dir", "") | replace("'", "''") }}')
{% endmacro %}
